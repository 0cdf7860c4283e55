import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { InvalidInputError, Secret } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { LINUX_OPERATION_NAMES, LINUX_OPERATIONS, selectOperations } from './operation-catalog.ts';
import type { OperationContext } from './generalization-operation.ts';

const context: OperationContext = { keepRootAuthorizedKeys: true, reservationUsersFile: '/var/lib/provkit/reservation-users' };
const withPassword: OperationContext = { ...context, rootPassword: Secret.of('n3w-r00t pass') };

// virt-sysprep's default operations the issue names, and VCL's own pre-capture steps.
const VIRT_SYSPREP = [
  'machine-id', 'ssh-hostkeys', 'ssh-userdir', 'bash-history', 'zsh-history', 'logfiles', 'tmp-files', 'udev-persistent-net',
  'dhcp-client-state', 'net-hwaddr', 'net-hostname', 'net-nmconn', 'user-account', 'cron-spool', 'mail-spool',
  'package-manager-cache', 'utmp', 'passwd-backups', 'backup-files', 'crash-data', 'pacct-log',
];
const VCL = ['logoff-users', 'user-account', 'root-password', 'udev-persistent-net', 'hostname-file', 'rotated-logs', 'post-load-record'];

describe('the generalization operation catalog', () => {
  it("covers virt-sysprep's default set and VCL's steps, each name once", () => {
    for (const name of [...VIRT_SYSPREP, ...VCL]) expect(LINUX_OPERATION_NAMES).toContain(name);
    expect(new Set(LINUX_OPERATION_NAMES).size).toBe(LINUX_OPERATION_NAMES.length);
  });

  it('runs sessions and accounts first, rotated logs before logs, temporary files last', () => {
    const at = (name: string) => LINUX_OPERATION_NAMES.indexOf(name);
    expect(at('logoff-users')).toBe(0);
    expect(at('user-account')).toBeLessThan(at('passwd-backups'));
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
