import { psRaw, type PsFragment } from '../powershell/quote.ts';

/**
 * First lines of every script: stop at the first error (so a failure becomes a non-zero exit
 * and its message reaches stderr) and keep progress records out of the output streams.
 */
export const PRELUDE = "$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n";

/**
 * Reads stdin into `$provkitBytes` and, as UTF-8 text, `$provkitInput`. The module sends stdin
 * as base64 (ASCII), read through `$input` as Ansible's Windows bootstrap does: `$input` is how
 * `powershell -EncodedCommand` hands over redirected stdin, and base64 keeps the console code
 * page from changing a single byte of a password or file.
 */
export const READ_INPUT =
  "$provkitBytes = [Convert]::FromBase64String((@($input) -join '') -replace '\\s', '')\n" +
  '$provkitInput = [System.Text.Encoding]::UTF8.GetString($provkitBytes)\n';

/** Joins script parts after the prelude into one script. */
export function script(...parts: Array<string | PsFragment>): PsFragment {
  return psRaw(PRELUDE + parts.map((part) => (typeof part === 'string' ? part : part.text)).join(''));
}
