import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { InvalidInputError, raw, Secret } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import { describe, expect, it } from 'vitest';
import { LINUX_OPERATION_NAMES, LINUX_OPERATIONS, selectOperations } from './operation-catalog.ts';
import type { OperationContext } from './generalization-operation.ts';
import { VIRT_SYSPREP_NOT_APPLICABLE } from './virt-sysprep-coverage.ts';

const context: OperationContext = { keepRootAuthorizedKeys: true, reservationUsersFile: '/var/lib/provkit/reservation-users' };
const withPassword: OperationContext = { ...context, rootPassword: Secret.of('n3w-r00t pass') };

/**
 * virt-sysprep's own list: the recorded output of `virt-sysprep --list-operations` (Debian's
 * guestfs-tools 1.48.2, see fixtures/README.md), `<name> <*|blank> <description>` per line.
 */
const RECORDED = readFileSync(new URL('./fixtures/virt-sysprep-1.48.2-list-operations.txt', import.meta.url), 'utf8');
const VIRT_SYSPREP = RECORDED.trimEnd()
  .split('\n')
  .map((line) => /^(\S+) (\*| ) (.+)$/.exec(line))
  .map((match) => {
    if (!match) throw new Error('unexpected line in the recorded virt-sysprep list');
    return { name: match[1]!, isDefault: match[2] === '*' };
  });
/** Added to virt-sysprep after 1.48.2 (guestfs-tools' sysprep_operation_*.ml), default on there. */
const LATER_VIRT_SYSPREP = ['lvm-system-devices', 'zsh-history'];
const VCL = ['logoff-users', 'reservation-accounts', 'root-password', 'udev-persistent-net', 'hostname-file', 'rotated-logs', 'post-load-record', 'swap', 'network-dhcp'];
const byName = (name: string) => LINUX_OPERATIONS.find((operation) => operation.name === name);
const defaults = selectOperations(undefined, context).map((operation) => operation.name);

describe("the generalization operation catalog against virt-sysprep's recorded list", () => {
  it('reads the recording: 43 operations, 37 of them default', () => {
    expect(VIRT_SYSPREP).toHaveLength(43);
    expect(VIRT_SYSPREP.filter((operation) => operation.isDefault)).toHaveLength(37);
  });

  it.each(VIRT_SYSPREP.filter((operation) => operation.isDefault).map((operation) => operation.name))(
    "virt-sysprep's default %s is a default provkit operation of the same name, or says why it does not apply",
    (name) => {
      const reason = VIRT_SYSPREP_NOT_APPLICABLE[name];
      if (reason === undefined) {
        expect(byName(name), name).toBeDefined();
        expect(byName(name)!.origin).toBe('virt-sysprep');
        expect(defaults).toContain(name);
      } else {
        expect(byName(name), `${name} is both implemented and listed as not applicable`).toBeUndefined();
        expect(reason.length).toBeGreaterThan(40);
      }
    },
  );

  it('lists as not applicable only default operations of the recording', () => {
    for (const name of Object.keys(VIRT_SYSPREP_NOT_APPLICABLE)) expect(VIRT_SYSPREP.find((operation) => operation.name === name)?.isDefault, name).toBe(true);
  });

  it("claims virt-sysprep as origin only for virt-sysprep's names, and its later default operations are implemented and default", () => {
    const known = new Set([...VIRT_SYSPREP.map((operation) => operation.name), ...LATER_VIRT_SYSPREP]);
    for (const operation of LINUX_OPERATIONS.filter((candidate) => candidate.origin === 'virt-sysprep')) expect(known.has(operation.name), operation.name).toBe(true);
    for (const name of LATER_VIRT_SYSPREP) expect(defaults).toContain(name);
  });

  it("does not reuse a virt-sysprep name for a step of another meaning: user-account (every account but root) is not provkit's reservation-accounts", () => {
    expect(byName('user-account')).toBeUndefined();
    expect(byName('reservation-accounts')!.origin).toBe('vcl');
  });

  it("has VCL's steps, and each name once", () => {
    for (const name of VCL) expect(LINUX_OPERATION_NAMES).toContain(name);
    expect(new Set(LINUX_OPERATION_NAMES).size).toBe(LINUX_OPERATION_NAMES.length);
  });

  it('removes no user data by default: user-backup-files (backups under /home and /opt) is opt-in, backup-files never names /home or /opt', () => {
    expect(defaults).not.toContain('user-backup-files');
    const script = byName('backup-files')!.build(context).script.text.slice(guestScript(raw('')).text.length);
    expect(script).toContain("for pk_dir in /etc /root /srv /tmp /var; do");
    expect(script).not.toMatch(/\/home|\/opt/);
    expect(byName('user-backup-files')!.build(context).script.text).toContain('for pk_dir in /home /opt; do');
  });
});

describe('the generalization operation catalog', () => {
  it('runs sessions and accounts first, rotated logs before logs, temporary files last', () => {
    const at = (name: string) => LINUX_OPERATION_NAMES.indexOf(name);
    expect(at('logoff-users')).toBe(0);
    expect(at('reservation-accounts')).toBeLessThan(at('passwd-backups'));
    expect(at('rotated-logs')).toBeLessThan(at('logfiles'));
    expect(LINUX_OPERATION_NAMES.at(-1)).toBe('tmp-files');
  });

  it('revokes access grants by default, after every other change to the guest', () => {
    expect(LINUX_OPERATION_NAMES.at(-2)).toBe('access-grants');
    expect(selectOperations(undefined, context).map((operation) => operation.name)).toContain('access-grants');
  });

  it('selects named operations in catalog order and refuses unknown names', () => {
    expect(selectOperations(['tmp-files', 'machine-id'], context).map((operation) => operation.name)).toEqual(['machine-id', 'tmp-files']);
    expect(() => selectOperations(['machine-id', 'format-disk'], context)).toThrow(InvalidInputError);
    expect(() => selectOperations(['machine-id', 'format-disk'], context)).toThrow(/operations.*"format-disk"/);
  });

  it('runs root-password by default only when a root password is configured', () => {
    expect(selectOperations(undefined, context).map((operation) => operation.name)).not.toContain('root-password');
    expect(selectOperations(undefined, withPassword).map((operation) => operation.name)).toContain('root-password');
    const rootPassword = LINUX_OPERATIONS.find((operation) => operation.name === 'root-password')!;
    expect(() => rootPassword.build(context)).toThrow(InvalidInputError);
  });

  it('puts the root password on standard input only, never into the script', () => {
    const built = LINUX_OPERATIONS.find((operation) => operation.name === 'root-password')!.build(withPassword);
    expect(built.script.text).not.toContain('n3w-r00t');
    expect(built.stdin?.reveal()).toBe('root:n3w-r00t pass\n');
    expect(built.secrets).toEqual([withPassword.rootPassword]);
  });

  it('refuses a root password chpasswd would cut at a line break', () => {
    const rootPassword = LINUX_OPERATIONS.find((operation) => operation.name === 'root-password')!;
    expect(() => rootPassword.build({ ...context, rootPassword: Secret.of('a\nroot:b') })).toThrow(InvalidInputError);
  });

  const shells = ['/bin/dash', '/bin/bash', '/bin/busybox'].filter((shell) => existsSync(shell));
  it.each(LINUX_OPERATIONS.map((operation) => operation.name))('%s is valid POSIX shell for dash, bash and busybox ash', (name) => {
    expect(shells.length).toBeGreaterThan(0);
    const script = LINUX_OPERATIONS.find((operation) => operation.name === name)!.build(withPassword).script.text;
    for (const shell of shells) {
      const argv = shell.endsWith('busybox') ? ['sh', '-n', '-c', script] : ['-n', '-c', script];
      execFileSync(shell, argv);
    }
  });
});
