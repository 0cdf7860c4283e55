import { ps, type PsFragment } from '../powershell/quote.ts';
import { READ_INPUT, script } from './prelude.ts';

/**
 * Writes stdin, byte for byte (UTF-8, no BOM), to the file at `path`, creating its folder.
 * Used for `currentimage.txt` and `unattend.xml`, whose content may be too long for a command
 * line or secret. With `adminOnly` the file is readable by Administrators and SYSTEM only
 * (the answer file holds the encoded Administrator password). Prints `written=<bytes>`.
 */
export function writeFileScript(path: string, options: { adminOnly?: boolean } = {}): PsFragment {
  const parts = [
    READ_INPUT,
    ps`$path = ${path}\n`,
    'New-Item -ItemType Directory -Force -Path (Split-Path -Parent $path) | Out-Null\n',
  ];
  if (options.adminOnly) {
    // Create it empty and locked down first, so the content is never readable by other users.
    parts.push(
      "[System.IO.File]::WriteAllBytes($path, [byte[]]@())\n",
      "icacls.exe $path /inheritance:r /grant '*S-1-5-32-544:F' /grant '*S-1-5-18:F' | Out-Null\n",
      'if ($LASTEXITCODE -ne 0) { throw "icacls exited $LASTEXITCODE" }\n',
    );
  }
  parts.push('[System.IO.File]::WriteAllBytes($path, $provkitBytes)\n', '"written=$($provkitBytes.Length)"\n');
  return script(...parts);
}

/**
 * Prints the file at `path` as `content=<base64 of its bytes>` (so no console code page can
 * change it), or `absent` when there is no such file.
 */
export function readFileScript(path: string): PsFragment {
  return script(
    ps`$path = ${path}\n`,
    "if (Test-Path -LiteralPath $path -PathType Leaf) { 'content=' + [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($path)) } else { 'absent' }\n",
  );
}
