import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIRST_BOOT_HOOK, FIRST_BOOT_UNIT, installFirstBootHookScript } from './first-boot-hook.ts';

describe('first-boot hook', () => {
  it('is valid shell for dash and busybox ash, and its installer too', () => {
    for (const [shell, prefix] of [['/bin/dash', []], ['/bin/busybox', ['sh']]] as const) {
      execFileSync(shell, [...prefix, '-n', '-c', FIRST_BOOT_HOOK]);
      execFileSync(shell, [...prefix, '-n', '-c', `pk_say() { :; }; pk_fail() { :; }\n${installFirstBootHookScript().text}`]);
    }
  });

  it('makes host keys only when missing, and a machine-id only outside systemd for an emptied file', () => {
    expect(FIRST_BOOT_HOOK).toContain('if [ ! -s /etc/ssh/ssh_host_ed25519_key ]');
    expect(FIRST_BOOT_HOOK).toContain('[ -e /etc/machine-id ] && [ ! -s /etc/machine-id ] && [ ! -d /run/systemd/system ]');
  });

  it('orders the systemd unit before the SSH server and wires busybox init before its rc script', () => {
    expect(FIRST_BOOT_UNIT).toContain('Before=ssh.service sshd.service');
    expect(FIRST_BOOT_UNIT).toContain('WantedBy=multi-user.target');
    const installer = installFirstBootHookScript().text;
    expect(installer).toContain('::sysinit:$pk_hook');
    expect(installer).toContain('pkfb::sysinit:$pk_hook');
  });
});
