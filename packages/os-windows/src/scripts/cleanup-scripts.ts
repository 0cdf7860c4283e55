import { ps, type PsFragment } from '../powershell/quote.ts';
import { READ_INPUT, script } from './prelude.ts';

/** Description given to the users this module creates; cleanup deletes exactly these. */
export const RESERVATION_USER_DESCRIPTION = 'provkit reservation user';

/**
 * Logs off every interactive (console / RDP) session. `quser` writes "No User exists" to
 * stderr and exits 1 when nobody is logged on, so native errors are not fatal here; the
 * session ID is the first number after the user (and optional session) name, whatever the
 * display language. Prints `loggedoff=<count>`.
 */
export function logOffUsersScript(): PsFragment {
  return script(
    "$ErrorActionPreference = 'Continue'\n",
    '$ids = @(quser.exe 2>$null | Select-Object -Skip 1 | ForEach-Object { if ($_ -match \'^>?\\s*\\S+\\s+(?:\\S+\\s+)?(\\d+)\\s\') { $Matches[1] } })\n',
    "$ErrorActionPreference = 'Stop'\n",
    'foreach ($id in $ids) { logoff.exe $id; if ($LASTEXITCODE -ne 0) { throw "logoff of session $id exited $LASTEXITCODE" } }\n',
    '"loggedoff=$($ids.Count)"\n',
  );
}

/**
 * Deletes the local users this module created (marked by their description) with their
 * profiles. Prints `deleted=<name>` per user.
 */
export function deleteReservationUsersScript(): PsFragment {
  return script(
    ps`$users = @(Get-LocalUser | Where-Object { $_.Description -eq ${RESERVATION_USER_DESCRIPTION} })\n`,
    'foreach ($user in $users) {\n',
    '  Get-CimInstance -ClassName Win32_UserProfile | Where-Object { $_.SID -eq $user.SID.Value } | Remove-CimInstance\n',
    '  Remove-LocalUser -InputObject $user\n',
    '  "deleted=$($user.Name)"\n',
    '}\n',
  );
}

/**
 * Sets the password of the built-in Administrator (the local account whose SID ends in -500,
 * whatever it was renamed to) to the text on stdin. Prints `user=<name>`.
 */
export function resetAdministratorPasswordScript(): PsFragment {
  return script(
    READ_INPUT,
    "$admin = Get-LocalUser | Where-Object { $_.SID.Value -match '^S-1-5-21-.+-500$' }\n",
    "if (-not $admin) { throw 'no built-in Administrator account found' }\n",
    'Set-LocalUser -InputObject $admin -Password (ConvertTo-SecureString -String $provkitInput -AsPlainText -Force)\n',
    '"user=$($admin.Name)"\n',
  );
}

/** Folders and files (wildcards) the temp-file cleanup empties, relative to `%windir%` unless absolute. */
export const TEMP_PATTERNS = ['Temp\\*', 'Panther\\*', 'System32\\Sysprep\\Panther\\*', 'inf\\setupapi*.log', 'Logs\\CBS\\*.log', 'Logs\\DISM\\*.log'] as const;

/**
 * Deletes temporary files, the setup caches under `Panther` (they can hold earlier answer
 * files) and setup logs, plus the SSH user's `%TEMP%`. Files in use are left behind.
 * Prints `removed=<count>`.
 */
export function deleteTempFilesScript(): PsFragment {
  return script(
    ps`$patterns = @(${[...TEMP_PATTERNS]} | ForEach-Object { Join-Path $env:windir $_ }) + @(Join-Path $env:TEMP '*')\n`,
    '$removed = 0\n',
    'foreach ($item in @(Get-ChildItem -Path $patterns -Force -ErrorAction SilentlyContinue)) {\n',
    '  Remove-Item -LiteralPath $item.FullName -Recurse -Force -ErrorAction SilentlyContinue\n',
    '  if (-not (Test-Path -LiteralPath $item.FullName)) { $removed++ }\n',
    '}\n',
    '"removed=$removed"\n',
  );
}

/**
 * Turns hibernation off (removes `hiberfil.sys`, which would be captured otherwise). Some
 * virtual firmware has no hibernation at all, so the exit code is reported, not thrown:
 * prints `exit=<code>`.
 */
export function disableHibernationScript(): PsFragment {
  return script("$ErrorActionPreference = 'Continue'\n", 'powercfg.exe /hibernate off 2>&1 | Out-Null\n', '"exit=$LASTEXITCODE"\n');
}

/**
 * Deletes the OpenSSH host keys so every clone makes its own when its sshd first starts.
 * The running sshd keeps the keys it loaded. Prints `removed=<count>`.
 */
export function removeSshHostKeysScript(): PsFragment {
  return script(
    "$keys = @(Get-ChildItem -Path (Join-Path $env:ProgramData 'ssh\\ssh_host_*key*') -Force -ErrorAction SilentlyContinue)\n",
    '$keys | Remove-Item -Force\n',
    '"removed=$($keys.Count)"\n',
  );
}

/**
 * Lists Store apps that make Sysprep fail (0x80073cf2): packages installed for a user but not
 * provisioned for all users (`user-only`), and provisioned packages a user updated
 * (`updated`, with the provisioned version). One tab-separated line each.
 */
export function appxCheckScript(): PsFragment {
  return script(
    '$provisioned = @{}\n',
    'Get-AppxProvisionedPackage -Online | ForEach-Object { $provisioned[$_.DisplayName] = $_.Version }\n',
    "Get-AppxPackage -AllUsers | Where-Object { -not $_.IsFramework -and $_.SignatureKind -eq 'Store' } | ForEach-Object {\n",
    '  if (-not $provisioned.ContainsKey($_.Name)) { "user-only`t$($_.PackageFullName)" }\n',
    '  elseif ($provisioned[$_.Name] -ne $_.Version) { "updated`t$($_.PackageFullName)`t$($provisioned[$_.Name])" }\n',
    '}\n',
  );
}
