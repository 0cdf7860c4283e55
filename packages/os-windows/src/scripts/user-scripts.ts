import { ps, type PsFragment } from '../powershell/quote.ts';
import { RESERVATION_USER_DESCRIPTION } from './cleanup-scripts.ts';
import { READ_INPUT, script } from './prelude.ts';

/** Well-known SID of the local Administrators group (its name is localized). */
export const ADMINISTRATORS_SID = 'S-1-5-32-544';
/** Well-known SID of the local Remote Desktop Users group. */
export const REMOTE_DESKTOP_USERS_SID = 'S-1-5-32-555';

/**
 * Creates local user `username` (or updates an existing one) and makes it a member of Remote
 * Desktop Users, and of Administrators when `admin`. Reads JSON `{"password": string|null}`
 * from stdin. Prints `state=created|updated`.
 */
export function createUserScript(username: string, admin: boolean): PsFragment {
  const groups = admin ? [REMOTE_DESKTOP_USERS_SID, ADMINISTRATORS_SID] : [REMOTE_DESKTOP_USERS_SID];
  return script(
    READ_INPUT,
    '$in = $provkitInput | ConvertFrom-Json\n',
    ps`$name = ${username}\n`,
    '$password = $null\n',
    'if ($in.password) { $password = ConvertTo-SecureString -String $in.password -AsPlainText -Force }\n',
    'if (Get-LocalUser -Name $name -ErrorAction SilentlyContinue) {\n',
    '  if ($password) { Set-LocalUser -Name $name -Password $password }\n',
    "  'state=updated'\n",
    '} else {\n',
    ps`  if ($password) { New-LocalUser -Name $name -Password $password -PasswordNeverExpires -Description ${RESERVATION_USER_DESCRIPTION} | Out-Null }\n`,
    ps`  else { New-LocalUser -Name $name -NoPassword -Description ${RESERVATION_USER_DESCRIPTION} | Out-Null }\n`,
    "  'state=created'\n",
    '}\n',
    ps`foreach ($sid in ${groups}) {\n`,
    '  $group = Get-LocalGroup -SID $sid\n',
    '  if (-not (Get-LocalGroupMember -Group $group -Member $name -ErrorAction SilentlyContinue)) { Add-LocalGroupMember -Group $group -Member $name }\n',
    '}\n',
  );
}

/**
 * Deletes local user `username` (and its profile when `removeProfile`). Refuses the built-in
 * Administrator. Prints `state=deleted|absent`.
 */
export function deleteUserScript(username: string, removeProfile: boolean): PsFragment {
  return script(
    ps`$user = Get-LocalUser -Name ${username} -ErrorAction SilentlyContinue\n`,
    "if (-not $user) { 'state=absent'; exit 0 }\n",
    "if ($user.SID.Value -match '-500$') { throw 'refusing to delete the built-in Administrator' }\n",
    ps`if (${removeProfile}) { Get-CimInstance -ClassName Win32_UserProfile | Where-Object { $_.SID -eq $user.SID.Value } | Remove-CimInstance }\n`,
    'Remove-LocalUser -InputObject $user\n',
    "'state=deleted'\n",
  );
}

/**
 * Sets passwords from a JSON object `{"<user>": "<password>", ...}` on stdin. Prints
 * `set=<name>` per account.
 */
export function setPasswordsScript(): PsFragment {
  return script(
    READ_INPUT,
    '$in = $provkitInput | ConvertFrom-Json\n',
    'foreach ($entry in $in.PSObject.Properties) {\n',
    '  Set-LocalUser -Name $entry.Name -Password (ConvertTo-SecureString -String $entry.Value -AsPlainText -Force)\n',
    '  "set=$($entry.Name)"\n',
    '}\n',
  );
}

/**
 * Lists the local user accounts in Administrators (by SID, so localized group names and
 * domain members don't matter). Prints `user=<name>` per account.
 */
export function listAdministratorsScript(): PsFragment {
  return script(
    ps`$members = @(Get-LocalGroupMember -SID ${ADMINISTRATORS_SID} | ForEach-Object { $_.SID.Value })\n`,
    'Get-LocalUser | Where-Object { $members -contains $_.SID.Value } | ForEach-Object { "user=$($_.Name)" }\n',
  );
}

/**
 * Appends the public keys given as JSON `{"keys": [...]}` on stdin to OpenSSH's
 * `administrators_authorized_keys` (skipping keys already there), creating it with the ACL
 * sshd demands (Administrators and SYSTEM only). Prints `added=<count>`.
 */
export function authorizeAdministratorKeysScript(): PsFragment {
  return script(
    READ_INPUT,
    // Windows PowerShell 5.1 emits a JSON array as one object; a property holding it is safe.
    '$keys = @(($provkitInput | ConvertFrom-Json).keys)\n',
    "$path = Join-Path $env:ProgramData 'ssh\\administrators_authorized_keys'\n",
    '$existing = @()\n',
    'if (Test-Path -LiteralPath $path) { $existing = @(Get-Content -LiteralPath $path) }\n',
    '$new = @($keys | Where-Object { $existing -notcontains $_ })\n',
    "if ($new.Count -gt 0) { Add-Content -LiteralPath $path -Value $new -Encoding ASCII }\n",
    "icacls.exe $path /inheritance:r /grant '*S-1-5-32-544:F' /grant '*S-1-5-18:F' | Out-Null\n",
    'if ($LASTEXITCODE -ne 0) { throw "icacls exited $LASTEXITCODE" }\n',
    '"added=$($new.Count)"\n',
  );
}
