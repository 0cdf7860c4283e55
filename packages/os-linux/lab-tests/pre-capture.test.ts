/**
 * A whole preCapture against the real Debian root: the default set with a configured root
 * password on a guest that has something for most operations, the first-boot hook it leaves
 * (run here as the boot would run it), a failing operation that stops the run, and the
 * bounded wait of a shutdown the guest does not perform. Booting a generalized image for real
 * is in the KVM test (kvm-guest.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret, TimeoutError } from '@provkit/core';
import { HOST_KEYS_MARKER, LINUX_OPERATION_NAMES, PreCaptureFailedError, type LinuxOsModule } from '@provkit/os-linux';
import { exists, inGuest, inRoot, passwordMatches, read, seed, shadowHash, sizeOf, startDebianRoot, trustCurrentHostKey, type DebianRootFixture } from './test-support/debian-root-fixture.ts';

let lab: DebianRootFixture;
const rootPassword = Secret.of(`VCL-root-${Math.random().toString(36).slice(2)}`);

beforeAll(async () => {
  lab = await startDebianRoot();
});
afterAll(async () => lab?.close());

function fingerprint(path: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', inRoot(lab.state, path)]).toString().split(' ')[1]!;
}

describe('LinuxOsModule preCapture on a real Debian root', () => {
  it('stops at the first failing operation, names it and the state left, and runs nothing after it', async () => {
    const s = lab.state;
    const module = lab.module();
    seed(s, '/etc/krb5.keytab', 'keytab');
    seed(s, '/tmp/left-alone', 'x');
    execFileSync('chattr', ['+i', inRoot(s, '/etc/krb5.keytab')]);
    try {
      const error = await module.preCapture({ node: lab.node, endState: 'off', operations: ['hostname-file', 'kerberos-hostkeytab', 'tmp-files'] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PreCaptureFailedError);
      const failure = error as PreCaptureFailedError;
      expect(failure.step).toBe('kerberos-hostkeytab');
      expect(failure.completed.map((report) => report.name)).toEqual(['hostname-file']);
      expect(failure.notRun).toEqual(['tmp-files']);
      expect(failure.message).toContain('cannot remove /etc/krb5.keytab');
      expect(failure.message).toContain('not run: tmp-files');
      expect(failure.message).toContain("end state off not applied: preCapture changed nothing about the guest's power");
      expect(sizeOf(s, '/etc/hostname')).toBe(0);
      expect(exists(s, '/tmp/left-alone')).toBe(true);
      expect(exists(s, '/etc/krb5.keytab')).toBe(true);
    } finally {
      execFileSync('chattr', ['-i', inRoot(s, '/etc/krb5.keytab')]);
    }
    // hostname-file empties the file only; the running name (the root's own UTS namespace,
    // seen over its sshd, not through inGuest, which runs in this machine's) stays.
    expect((await lab.runner.run(['hostname'])).stdout.trim()).toBe('debian-root');
  });

  it('gives up on a shutdown the guest does not perform with a TimeoutError naming the node (the lab root cannot power off)', async () => {
    const module = lab.module();
    const started = Date.now();
    const error = await module.shutdown({ node: lab.node, timeoutMs: 4000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).awaited).toContain('debian-root');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('runs the default set with root-password, reporting every operation, and never emits the password', async () => {
    const s = lab.state;
    const module = lab.module({ rootPassword });
    await inGuest(s, ['useradd', '-m', 'imageuser']);
    await module.createUser({ node: lab.node, username: 'resuser', sshPublicKeys: [read(s, '/root/.ssh/authorized_keys').trim()] });
    seed(s, '/home/resuser/.bash_history', 'sudo -i\n');
    seed(s, '/var/mail/resuser', 'From root\n');
    seed(s, '/etc/hostname', 'debian-root\n');
    seed(s, '/var/log/syslog', 'log line\n');
    seed(s, '/var/log/syslog.1', 'old\n');
    seed(s, '/etc/udev/rules.d/70-persistent-net.rules', 'rule\n');
    seed(s, '/var/cache/apt/archives/x_1_amd64.deb', 'deb');
    const hostKey = fingerprint('/etc/ssh/ssh_host_ed25519_key.pub');
    const machineId = read(s, '/etc/machine-id');
    lab.events.length = 0;
    const result = await module.preCapture({ node: lab.node, endState: 'on' });
    expect(result.endState).toBe('on');
    expect(result.operations.map((report) => report.name)).toEqual(LINUX_OPERATION_NAMES.filter((name) => name !== 'user-backup-files'));
    const changed = Object.fromEntries(result.operations.map((report) => [report.name, report.changed]));
    for (const name of ['reservation-accounts', 'root-password', 'ssh-hostkeys', 'machine-id', 'hostname-file', 'udev-persistent-net', 'package-manager-cache', 'passwd-backups', 'rotated-logs', 'logfiles']) {
      expect(changed[name], name).toBe(true);
    }
    expect(read(s, '/etc/passwd')).not.toContain('resuser:');
    expect(read(s, '/etc/passwd')).toContain('imageuser:');
    expect(exists(s, '/home/resuser')).toBe(false);
    expect(exists(s, '/var/mail/resuser')).toBe(false);
    expect(passwordMatches(shadowHash(s, 'root'), rootPassword)).toBe(true);
    // End state on: the keys were replaced in place (the guest stays reachable), not removed.
    const interimKey = fingerprint('/etc/ssh/ssh_host_ed25519_key.pub');
    expect(interimKey).not.toBe(hostKey);
    expect(exists(s, HOST_KEYS_MARKER)).toBe(true);
    expect(result.report.map((entry) => entry.operation)).toEqual(LINUX_OPERATION_NAMES.filter((name) => name !== 'user-backup-files'));
    expect(result.report.find((entry) => entry.operation === 'reservation-accounts')!.removed).toContain('user resuser');
    expect(result.report.find((entry) => entry.operation === 'logfiles')!.emptied).toContain('/var/log/syslog');
    trustCurrentHostKey(s);
    expect(sizeOf(s, '/etc/machine-id')).toBe(0);
    expect(sizeOf(s, '/var/log/syslog')).toBe(0);
    expect(exists(s, '/var/log/syslog.1')).toBe(false);
    expect(read(s, '/etc/systemd/system/provkit-first-boot.service')).toContain('ExecStart=/usr/local/sbin/provkit-first-boot');
    expect(exists(s, '/etc/systemd/system/multi-user.target.wants/provkit-first-boot.service')).toBe(true);
    const progress = lab.events.filter((event) => 'step' in event).map((event) => (event as { step: string }).step);
    expect(progress[0]).toBe('generalizing');
    expect(progress.at(-1)).toBe('pre-capture-done');
    expect(JSON.stringify(lab.events)).not.toContain(rootPassword.reveal());
    expect(JSON.stringify(result)).not.toContain(rootPassword.reveal());

    // What the next boot does: the hook makes new host keys and a new machine-id.
    await inGuest(s, ['/usr/local/sbin/provkit-first-boot']);
    expect(fingerprint('/etc/ssh/ssh_host_ed25519_key.pub')).not.toBe(hostKey);
    expect(fingerprint('/etc/ssh/ssh_host_ed25519_key.pub')).not.toBe(interimKey);
    expect(exists(s, HOST_KEYS_MARKER)).toBe(false);
    trustCurrentHostKey(s);
    expect(read(s, '/etc/machine-id')).toMatch(/^[0-9a-f]{32}\n$/);
    expect(read(s, '/etc/machine-id')).not.toBe(machineId);
    expect(read(s, '/var/log/provkit-first-boot.log')).toMatch(/generated ssh host keys\n.*generated machine-id\n$/);
  });

  it('a second run of the account, key, udev and log operations finds nothing left to change', async () => {
    const module = lab.module({ rootPassword });
    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['reservation-accounts', 'ssh-userdir', 'udev-persistent-net', 'passwd-backups', 'rotated-logs'] });
    expect(result.operations.every((report) => !report.changed)).toBe(true);
  });

});
