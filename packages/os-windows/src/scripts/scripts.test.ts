import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from '../powershell/encode-command.ts';
import type { PsFragment } from '../powershell/quote.ts';
import {
  appxCheckScript,
  deleteReservationUsersScript,
  deleteTempFilesScript,
  disableHibernationScript,
  logOffUsersScript,
  removeSshHostKeysScript,
  resetAdministratorPasswordScript,
} from './cleanup-scripts.ts';
import { readFileScript, writeFileScript } from './file-scripts.ts';
import { accessRuleName, grantAccessScript, revokeAccessScript } from './firewall-scripts.ts';
import { PRELUDE, READ_INPUT } from './prelude.ts';
import { imageStateScript, powerScript, probeScript, runArgvScript, startSysprepScript } from './power-scripts.ts';
import { renameComputerScript } from './system-scripts.ts';
import { authorizeAdministratorKeysScript, createUserScript, deleteUserScript, listAdministratorsScript, setPasswordsScript } from './user-scripts.ts';

const every: Record<string, PsFragment> = {
  logOffUsers: logOffUsersScript(),
  deleteReservationUsers: deleteReservationUsersScript(),
  resetAdministratorPassword: resetAdministratorPasswordScript(),
  deleteTempFiles: deleteTempFilesScript(),
  disableHibernation: disableHibernationScript(),
  removeSshHostKeys: removeSshHostKeysScript(),
  appxCheck: appxCheckScript(),
  createUser: createUserScript("o'neil", true),
  deleteUser: deleteUserScript('alice', true),
  setPasswords: setPasswordsScript(),
  listAdministrators: listAdministratorsScript(),
  authorizeKeys: authorizeAdministratorKeysScript(),
  grantAccess: grantAccessScript('2001:db8::7', [22, 3389, 5985, 5986, 8080, 8443]),
  revokeAccess: revokeAccessScript('10.0.0.5', [22, 3389]),
  writeFile: writeFileScript('C:\\ProgramData\\provkit\\currentimage.txt'),
  writeAdminOnlyFile: writeFileScript('C:\\Windows\\Temp\\provkit-unattend.xml', { adminOnly: true }),
  readFile: readFileScript('C:\\ProgramData\\provkit\\currentimage.txt'),
  probe: probeScript(),
  shutdown: powerScript('shutdown', 3),
  reboot: powerScript('reboot', 3),
  imageState: imageStateScript(),
  startSysprep: startSysprepScript('C:\\Windows\\Temp\\provkit-unattend.xml', 'shutdown', false),
  rename: renameComputerScript('LAB-PC01'),
  runArgv: runArgvScript(['C:\\Program Files\\Puppet\\bin\\puppet.bat', 'agent', '--test']),
};

describe('PowerShell scripts', () => {
  it.each(Object.entries(every))('%s starts with the prelude, fits one cmd.exe line and decodes back to itself', (_name, script) => {
    expect(script.text.startsWith(PRELUDE)).toBe(true);
    expect(decodeCommand(encodeCommand(script))).toBe(script.text);
  });

  it('scripts that take secrets read them from stdin, as raw UTF-8 bytes', () => {
    for (const script of [resetAdministratorPasswordScript(), setPasswordsScript(), createUserScript('alice', false)]) {
      expect(script.text).toContain(READ_INPUT);
      expect(script.text).not.toContain('[Console]::In.');
    }
  });

  it('creates a user with groups chosen by SID and the reservation marker, exactly', () => {
    expect(createUserScript("o'neil", false).text).toBe(
      PRELUDE +
        READ_INPUT +
        '$in = $provkitInput | ConvertFrom-Json\n' +
        "$name = 'o''neil'\n" +
        '$password = $null\n' +
        'if ($in.password) { $password = ConvertTo-SecureString -String $in.password -AsPlainText -Force }\n' +
        'if (Get-LocalUser -Name $name -ErrorAction SilentlyContinue) {\n' +
        '  if ($password) { Set-LocalUser -Name $name -Password $password }\n' +
        "  'state=updated'\n" +
        '} else {\n' +
        "  if ($password) { New-LocalUser -Name $name -Password $password -PasswordNeverExpires -Description 'provkit reservation user' | Out-Null }\n" +
        "  else { New-LocalUser -Name $name -NoPassword -Description 'provkit reservation user' | Out-Null }\n" +
        "  'state=created'\n" +
        '}\n' +
        "foreach ($sid in @('S-1-5-32-555')) {\n" +
        '  $group = Get-LocalGroup -SID $sid\n' +
        '  if (-not (Get-LocalGroupMember -Group $group -Member $name -ErrorAction SilentlyContinue)) { Add-LocalGroupMember -Group $group -Member $name }\n' +
        '}\n',
    );
    expect(createUserScript('alice', true).text).toContain("foreach ($sid in @('S-1-5-32-555', 'S-1-5-32-544'))");
  });

  it('opens each port to the remote address only, with provkit-named rules, and closes the built-in RDP and OpenSSH any-address rules (SSH kept open to the management host)', () => {
    const text = grantAccessScript('10.0.0.5', [22, 3389]).text;
    expect(accessRuleName('10.0.0.5', 3389)).toBe('provkit-access-tcp3389-10-0-0-5');
    expect(accessRuleName('2001:db8::7', 22)).toBe('provkit-access-tcp22-2001-db8--7');
    expect(text).toContain(
      "New-NetFirewallRule -Name 'provkit-access-tcp22-10-0-0-5' -DisplayName 'provkit access TCP 22 from 10.0.0.5' -Group 'provkit' -Protocol TCP -LocalPort 22 -RemoteAddress '10.0.0.5' | Out-Null\n",
    );
    expect(text).toContain("Remove-NetFirewallRule -Name 'provkit-access-tcp3389-10-0-0-5' -ErrorAction SilentlyContinue\n");
    expect(text).toContain("Get-NetFirewallRule -Group '@FirewallAPI.dll,-28752' -ErrorAction SilentlyContinue | Disable-NetFirewallRule\n");
    expect(grantAccessScript('10.0.0.5', [22]).text).not.toContain('FirewallAPI');
    // SSH: the management host keeps its own rule before the built-in any-address rule goes off.
    const ssh = grantAccessScript('10.0.0.5', [22]).text;
    const management = ssh.indexOf("New-NetFirewallRule -Name 'provkit-mgmt-ssh'");
    const disable = ssh.indexOf("Disable-NetFirewallRule -Name 'OpenSSH-Server-In-TCP' -ErrorAction SilentlyContinue\n");
    expect(management).toBeGreaterThan(0);
    expect(disable).toBeGreaterThan(management);
    expect(ssh).toContain('-RemoteAddress $m ');
    expect(ssh).toContain("throw 'SSH_CONNECTION unset");
    expect(ssh.indexOf('SSH_CONNECTION')).toBeLessThan(management);
    expect(grantAccessScript('10.0.0.5', [3389]).text).not.toContain('OpenSSH-Server-In-TCP');
    expect(revokeAccessScript('10.0.0.5', [22, 3389]).text).toContain("foreach ($name in @('provkit-access-tcp22-10-0-0-5', 'provkit-access-tcp3389-10-0-0-5'))");
  });

  it('starts Sysprep detached through WMI with the flags of each end state', () => {
    const line = (exit: 'shutdown' | 'quit' | 'reboot', vm = false) => startSysprepScript('C:\\Windows\\Temp\\provkit-unattend.xml', exit, vm).text;
    expect(line('shutdown')).toContain(`$line = '"' + $exe + '" ' + '/generalize /oobe /shutdown /quiet' + ' /unattend:"' + 'C:\\Windows\\Temp\\provkit-unattend.xml' + '"'\n`);
    expect(line('quit')).toContain("'/generalize /oobe /quit /quiet'");
    expect(line('reboot', true)).toContain("'/generalize /oobe /reboot /mode:vm /quiet'");
    expect(line('shutdown')).toContain('Invoke-CimMethod -ClassName Win32_Process -MethodName Create');
  });

  it('locks an admin-only file down before its content is written', () => {
    const text = writeFileScript('C:\\Windows\\Temp\\provkit-unattend.xml', { adminOnly: true }).text;
    const locked = text.indexOf("icacls.exe $path /inheritance:r /grant '*S-1-5-32-544:F' /grant '*S-1-5-18:F'");
    expect(locked).toBeGreaterThan(text.indexOf('WriteAllBytes($path, [byte[]]@())'));
    expect(text.indexOf('WriteAllBytes($path, $provkitBytes)')).toBeGreaterThan(locked);
    expect(writeFileScript('C:\\x.txt').text).not.toContain('icacls');
  });

  it('reads ImageState from the Setup\\State key', () => {
    expect(imageStateScript().text).toContain("Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State' -Name ImageState");
  });

  it('quotes every argv word of a first-boot command as a literal', () => {
    expect(runArgvScript(['C:\\tools\\x.exe', "it's", '$(reboot)']).text).toBe(`${PRELUDE}& 'C:\\tools\\x.exe' 'it''s' '$(reboot)'\nexit $LASTEXITCODE\n`);
  });

  it('schedules shutdown and restart with a delay so the command returns first', () => {
    expect(powerScript('shutdown', 3).text).toContain("shutdown.exe '/s' /f /t 3\n");
    expect(powerScript('reboot', 5).text).toContain("shutdown.exe '/r' /f /t 5\n");
  });
});
