import { ps, psQuote, type PsFragment } from '../powershell/quote.ts';
import { script } from './prelude.ts';

/** The answer that {@link probeScript} prints first. */
export const PROBE_ANSWER = 'provkit-ready';

/**
 * A cheap liveness check that also tells one boot from the next: prints `provkit-ready` and
 * `boot=<last boot time, UTC, ISO 8601>`.
 */
export function probeScript(): PsFragment {
  return script(
    ps`${PROBE_ANSWER}\n`,
    "'boot=' + (Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToUniversalTime().ToString('o')\n",
  );
}

/**
 * Schedules a shutdown (or restart) in `delaySeconds` and returns at once, so the command ends
 * cleanly before sshd goes away. Prints `scheduled`.
 */
export function powerScript(action: 'shutdown' | 'reboot', delaySeconds: number): PsFragment {
  const flag = action === 'shutdown' ? '/s' : '/r';
  return script(
    ps`shutdown.exe ${flag} /f /t ${delaySeconds}\n`,
    'if ($LASTEXITCODE -ne 0) { throw "shutdown.exe exited $LASTEXITCODE" }\n',
    "'scheduled'\n",
  );
}

/** Registry key whose `ImageState` value tracks Sysprep / Setup progress. */
export const SETUP_STATE_KEY = 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State';

/**
 * Reads `ImageState` and whether sysprep.exe still runs; when it does not, also the tail of
 * Sysprep's `setuperr.log`. Prints `state=<ImageState>`, `sysprep=running|stopped`, then
 * `setuperr:<line>` lines.
 */
export function imageStateScript(): PsFragment {
  return script(
    ps`$state = (Get-ItemProperty -LiteralPath ${SETUP_STATE_KEY} -Name ImageState).ImageState\n`,
    '"state=$state"\n',
    'if (Get-Process -Name sysprep -ErrorAction SilentlyContinue) { \'sysprep=running\' } else {\n',
    "  'sysprep=stopped'\n",
    "  $log = Join-Path $env:windir 'System32\\Sysprep\\Panther\\setuperr.log'\n",
    "  if (Test-Path -LiteralPath $log) { Get-Content -LiteralPath $log -Tail 20 | ForEach-Object { 'setuperr:' + $_ } }\n",
    '}\n',
  );
}

/** How Sysprep leaves the machine (`/shutdown`, `/quit`, `/reboot`). */
export type SysprepExit = 'shutdown' | 'quit' | 'reboot';

/**
 * Starts `sysprep.exe /generalize /oobe /<exit> /quiet /unattend:<file>` through WMI
 * (Win32_Process.Create), so it runs outside the SSH session's job object and survives the
 * session ending. Prints `pid=<process id>`.
 */
export function startSysprepScript(unattendPath: string, exit: SysprepExit, vmMode: boolean): PsFragment {
  const flags = `/generalize /oobe /${exit}${vmMode ? ' /mode:vm' : ''} /quiet`;
  return script(
    "$exe = Join-Path $env:windir 'System32\\Sysprep\\sysprep.exe'\n",
    ps`$line = '"' + $exe + '" ' + ${flags} + ' /unattend:"' + ${unattendPath} + '"'\n`,
    '$result = Invoke-CimMethod -ClassName Win32_Process -MethodName Create -Arguments @{ CommandLine = $line }\n',
    'if ($result.ReturnValue -ne 0) { throw "Win32_Process.Create returned $($result.ReturnValue)" }\n',
    '"pid=$($result.ProcessId)"\n',
  );
}

/**
 * Runs `argv` (program and arguments, each a quoted literal) and exits with its exit code.
 * Windows PowerShell 5.1 drops empty arguments and mangles embedded double quotes when it
 * builds a native command line, so callers refuse those (see `checkArgv`).
 */
export function runArgvScript(argv: readonly string[]): PsFragment {
  return script(`& ${argv.map(psQuote).join(' ')}\n`, 'exit $LASTEXITCODE\n');
}
