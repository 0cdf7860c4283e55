/**
 * Each generalization operation, one at a time, against the lab's real Debian root: the test
 * seeds what the operation cleans (or creates it with the guest's own tools), shows it is
 * there, runs `preCapture` with only that operation and end state `on`, and inspects the root's
 * file system afterwards. ssh-hostkeys, and the host-key and machine-id regeneration by the
 * first-boot hook, are in pre-capture.test.ts (the hook run by hand) and kvm-guest.test.ts (a
 * real boot of a captured image).
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinuxOperationReport, LinuxOsModule } from '@provkit/os-linux';
import { exists, inGuest, inRoot, read, seed, sizeOf, startDebianRoot, type DebianRootFixture } from './test-support/debian-root-fixture.ts';

let lab: DebianRootFixture;
let module: LinuxOsModule;

beforeAll(async () => {
  lab = await startDebianRoot();
  module = lab.module();
});
afterAll(async () => lab?.close());

async function runOnly(name: string): Promise<LinuxOperationReport> {
  const result = await module.preCapture({ node: lab.node, endState: 'on', operations: [name] });
  expect(result.endState).toBe('on');
  expect(result.operations.map((report) => report.name)).toEqual([name]);
  return result.operations[0]!;
}

function removed(report: LinuxOperationReport): string[] {
  return report.actions.filter((action) => action.verb === 'removed').map((action) => action.object);
}

describe('LinuxOsModule generalization operations on a real Debian root', () => {
  it('machine-id truncates /etc/machine-id (the file stays) and removes the D-Bus copy', async () => {
    const s = lab.state;
    expect(read(s, '/etc/machine-id')).toMatch(/^[0-9a-f]{32}\n$/);
    expect(exists(s, '/var/lib/dbus/machine-id')).toBe(true);
    const report = await runOnly('machine-id');
    expect(exists(s, '/etc/machine-id')).toBe(true);
    expect(sizeOf(s, '/etc/machine-id')).toBe(0);
    expect(exists(s, '/var/lib/dbus/machine-id')).toBe(false);
    expect(report).toMatchObject({ changed: true, detail: 'truncated /etc/machine-id; removed /var/lib/dbus/machine-id' });
    expect((await runOnly('machine-id')).changed).toBe(false);
  });

  it("ssh-userdir removes users' ~/.ssh and root's extra files, keeping root's authorized_keys", async () => {
    const s = lab.state;
    seed(s, '/home/bob/.ssh/authorized_keys', 'ssh-ed25519 AAAA bob\n');
    seed(s, '/root/.ssh/known_hosts', 'host ssh-ed25519 AAAA\n');
    seed(s, '/root/.ssh/id_ed25519', 'private\n', 0o600);
    const rootKeys = read(s, '/root/.ssh/authorized_keys');
    const report = await runOnly('ssh-userdir');
    expect(exists(s, '/home/bob/.ssh')).toBe(false);
    expect(exists(s, '/root/.ssh/known_hosts')).toBe(false);
    expect(exists(s, '/root/.ssh/id_ed25519')).toBe(false);
    expect(read(s, '/root/.ssh/authorized_keys')).toBe(rootKeys);
    expect(removed(report).sort()).toEqual(['/home/bob/.ssh', '/root/.ssh/id_ed25519', '/root/.ssh/known_hosts']);
  });

  it('bash-history and zsh-history remove the histories of root and /home users', async () => {
    const s = lab.state;
    seed(s, '/root/.bash_history', 'ls\n');
    seed(s, '/home/bob/.bash_history', 'cat secret\n');
    seed(s, '/home/bob/.zsh_history', ': 1:0;ls\n');
    seed(s, '/root/.zhistory', 'ls\n');
    expect(removed(await runOnly('bash-history')).sort()).toEqual(['/home/bob/.bash_history', '/root/.bash_history']);
    expect(exists(s, '/home/bob/.zsh_history')).toBe(true);
    expect(removed(await runOnly('zsh-history')).sort()).toEqual(['/home/bob/.zsh_history', '/root/.zhistory']);
    for (const path of ['/root/.bash_history', '/home/bob/.bash_history', '/home/bob/.zsh_history', '/root/.zhistory']) expect(exists(s, path)).toBe(false);
  });

  it('rotated-logs removes rotated logs and keeps the current ones; logfiles then truncates those, keeping owner and mode', async () => {
    const s = lab.state;
    seed(s, '/var/log/syslog', 'Nov 23 sshd: Accepted publickey for alice\n', 0o640);
    seed(s, '/var/log/syslog.1', 'old\n');
    seed(s, '/var/log/syslog.2.gz', 'old\n');
    seed(s, '/var/log/apt/history.log.1.gz', 'old\n');
    seed(s, '/var/log/auth.log-20261101', 'old\n');
    seed(s, '/var/log/journal/0123/system.journal', 'journal\n');
    seed(s, '/var/log/installer/syslog', 'installer\n');
    const rotated = await runOnly('rotated-logs');
    expect(removed(rotated).sort()).toEqual(['/var/log/apt/history.log.1.gz', '/var/log/auth.log-20261101', '/var/log/syslog.1', '/var/log/syslog.2.gz']);
    expect(sizeOf(s, '/var/log/syslog')).toBeGreaterThan(0);
    const logs = await runOnly('logfiles');
    expect(sizeOf(s, '/var/log/syslog')).toBe(0);
    expect(statSync(inRoot(s, '/var/log/syslog')).mode & 0o777).toBe(0o640);
    expect(exists(s, '/var/log/journal/0123')).toBe(false);
    expect(exists(s, '/var/log/journal')).toBe(true);
    expect(exists(s, '/var/log/installer')).toBe(false);
    expect(logs.actions).toContainEqual({ verb: 'truncated', object: '/var/log/syslog' });
    expect(logs.actions).toContainEqual({ verb: 'truncated', object: '/var/log/dpkg.log' });
  });

  it('tmp-files empties /tmp and /var/tmp, hidden entries included, and keeps the sticky directories', async () => {
    const s = lab.state;
    seed(s, '/tmp/session.sock.txt');
    seed(s, '/tmp/.hidden');
    seed(s, '/var/tmp/build/out.o');
    const report = await runOnly('tmp-files');
    expect(removed(report).sort()).toEqual(['/tmp/.hidden', '/tmp/session.sock.txt', '/var/tmp/build']);
    for (const dir of ['/tmp', '/var/tmp']) {
      expect(statSync(inRoot(s, dir)).mode & 0o7777).toBe(0o1777);
      expect(await inGuest(s, ['ls', '-A', dir])).toBe('');
    }
  });

  it('udev-persistent-net removes 70-persistent-net.rules', async () => {
    const s = lab.state;
    seed(s, '/etc/udev/rules.d/70-persistent-net.rules', 'SUBSYSTEM=="net", ATTR{address}=="52:54:00:12:34:56", NAME="eth0"\n');
    seed(s, '/etc/udev/rules.d/60-keep.rules', '# not ours\n');
    expect(removed(await runOnly('udev-persistent-net'))).toEqual(['/etc/udev/rules.d/70-persistent-net.rules']);
    expect(exists(s, '/etc/udev/rules.d/60-keep.rules')).toBe(true);
  });

  it('dhcp-client-state and dhcp-server-state remove leases', async () => {
    const s = lab.state;
    seed(s, '/var/lib/dhcp/dhclient.eth0.leases', 'lease { fixed-address 192.168.77.9; }\n');
    seed(s, '/var/lib/dhcpcd/eth0.lease', 'x');
    seed(s, '/var/lib/dhcpd/dhcpd.leases', 'server\n');
    expect(removed(await runOnly('dhcp-client-state')).sort()).toEqual(['/var/lib/dhcp/dhclient.eth0.leases', '/var/lib/dhcpcd/eth0.lease']);
    expect(removed(await runOnly('dhcp-server-state'))).toEqual(['/var/lib/dhcpd/dhcpd.leases']);
    expect(exists(s, '/var/lib/dhcp')).toBe(true);
  });

  it('net-hwaddr and net-hostname strip their lines from ifcfg files and keep the rest', async () => {
    const s = lab.state;
    seed(s, '/etc/sysconfig/network-scripts/ifcfg-eth0', 'DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nHOSTNAME=old-node\nDHCP_HOSTNAME=old-node\nBOOTPROTO=dhcp\n');
    seed(s, '/etc/sysconfig/network', 'NETWORKING=yes\nHOSTNAME=old-node\n');
    expect((await runOnly('net-hwaddr')).actions).toEqual([{ verb: 'changed', object: '/etc/sysconfig/network-scripts/ifcfg-eth0' }]);
    expect(read(s, '/etc/sysconfig/network-scripts/ifcfg-eth0')).toBe('DEVICE=eth0\nHOSTNAME=old-node\nDHCP_HOSTNAME=old-node\nBOOTPROTO=dhcp\n');
    expect((await runOnly('net-hostname')).actions.length).toBe(2);
    expect(read(s, '/etc/sysconfig/network-scripts/ifcfg-eth0')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\n');
    expect(read(s, '/etc/sysconfig/network')).toBe('NETWORKING=yes\n');
  });

  it('net-nmconn removes NetworkManager connection profiles', async () => {
    const s = lab.state;
    seed(s, '/etc/NetworkManager/system-connections/Wired connection 1.nmconnection', '[ethernet]\nmac-address=52:54:00:12:34:56\n', 0o600);
    expect(removed(await runOnly('net-nmconn'))).toEqual(['/etc/NetworkManager/system-connections/Wired connection 1.nmconnection']);
    expect(exists(s, '/etc/NetworkManager/system-connections')).toBe(true);
  });

  it('hostname-file truncates /etc/hostname', async () => {
    const s = lab.state;
    expect(read(s, '/etc/hostname')).toBe('debian-root\n');
    expect((await runOnly('hostname-file')).detail).toBe('truncated /etc/hostname; changed /etc/hosts (removed debian-root)');
    expect(sizeOf(s, '/etc/hostname')).toBe(0);
    expect(read(s, '/etc/hosts')).toBe('127.0.0.1 localhost\n');
  });

  it('kerberos-hostkeytab removes /etc/krb5.keytab', async () => {
    seed(lab.state, '/etc/krb5.keytab', Buffer.from([5, 2, 0, 0]));
    expect(removed(await runOnly('kerberos-hostkeytab'))).toEqual(['/etc/krb5.keytab']);
  });

  it('cron-spool removes crontabs and at jobs, keeping the spool directories and .SEQ', async () => {
    const s = lab.state;
    seed(s, '/var/spool/cron/crontabs/erin', '* * * * * curl example.org\n', 0o600);
    seed(s, '/var/spool/cron/atjobs/a0000101a2b3c4', '#!/bin/sh\n');
    seed(s, '/var/spool/cron/atjobs/.SEQ', '1\n');
    expect(removed(await runOnly('cron-spool')).sort()).toEqual(['/var/spool/cron/atjobs/a0000101a2b3c4', '/var/spool/cron/crontabs/erin']);
    expect(exists(s, '/var/spool/cron/crontabs')).toBe(true);
    expect(exists(s, '/var/spool/cron/atjobs/.SEQ')).toBe(true);
  });

  it('mail-spool removes mailboxes', async () => {
    const s = lab.state;
    seed(s, '/var/mail/frank', 'From root\n');
    expect(removed(await runOnly('mail-spool'))).toEqual(['/var/mail/frank']);
    expect(exists(s, '/var/mail')).toBe(true);
  });

  it('crash-data removes crash dumps', async () => {
    const s = lab.state;
    seed(s, '/var/crash/_usr_bin_foo.0.crash', 'dump');
    seed(s, '/var/lib/systemd/coredump/core.foo.0.zst', 'dump');
    expect(removed(await runOnly('crash-data')).sort()).toEqual(['/var/crash/_usr_bin_foo.0.crash', '/var/lib/systemd/coredump/core.foo.0.zst']);
  });

  it('package-manager-cache removes downloaded packages and apt caches, keeping archives/partial', async () => {
    const s = lab.state;
    seed(s, '/var/cache/apt/archives/curl_7.88_amd64.deb', 'deb');
    seed(s, '/var/cache/apt/archives/partial/wget_1.21_amd64.deb', 'part');
    seed(s, '/var/cache/apt/pkgcache.bin', 'bin');
    const report = await runOnly('package-manager-cache');
    expect(removed(report).sort()).toEqual(['/var/cache/apt/archives/curl_7.88_amd64.deb', '/var/cache/apt/archives/partial/wget_1.21_amd64.deb', '/var/cache/apt/pkgcache.bin']);
    expect(exists(s, '/var/cache/apt/archives/partial')).toBe(true);
  });

  it('utmp truncates the current-logins record', async () => {
    seed(lab.state, '/run/utmp', Buffer.alloc(384, 1), 0o664);
    expect((await runOnly('utmp')).actions).toEqual([{ verb: 'truncated', object: '/run/utmp' }]);
    expect(sizeOf(lab.state, '/run/utmp')).toBe(0);
  });

  it('logoff-users kills every process of regular accounts and leaves root and system accounts alone', async () => {
    const s = lab.state;
    await inGuest(s, ['useradd', '-m', 'dave']);
    await lab.runner.run(['sh', '-c', 'setpriv --reuid=dave --regid=dave --init-groups sleep 600 </dev/null >/dev/null 2>&1 & setpriv --reuid=daemon --regid=daemon --clear-groups sleep 600 </dev/null >/dev/null 2>&1 &']);
    const pids = async (user: string) => (await lab.runner.run(['pgrep', '-u', user, 'sleep'], { check: false })).stdout.trim().split('\n').filter(Boolean);
    const [davePid] = await pids('dave');
    expect(davePid).toMatch(/^\d+$/);
    expect(await pids('daemon')).toHaveLength(1);
    const report = await runOnly('logoff-users');
    expect(report.actions).toContainEqual({ verb: 'killed', object: `process ${davePid} of uid ${read(s, '/etc/passwd').match(/^dave:x:(\d+):/m)![1]}` });
    expect(await pids('dave')).toEqual([]);
    expect(await pids('daemon')).toHaveLength(1);
    await lab.runner.run(['pkill', '-u', 'daemon', 'sleep']);
  });

  it('reservation-accounts deletes the reservation accounts with home, mail, crontab and sudoers drop-in, and keeps the image users', async () => {
    const s = lab.state;
    await inGuest(s, ['useradd', '-m', 'imagekeeper']);
    await module.createUser({ node: lab.node, username: 'carol', admin: true, sshPublicKeys: [read(s, '/root/.ssh/authorized_keys').trim()] });
    seed(s, '/var/mail/carol', 'From root\n');
    seed(s, '/var/spool/cron/crontabs/carol', '* * * * * true\n');
    expect(read(s, '/var/lib/provkit/reservation-users')).toBe('carol\n');
    expect(exists(s, '/etc/sudoers.d/provkit-carol')).toBe(true);
    const report = await runOnly('reservation-accounts');
    expect(report.actions).toContainEqual({ verb: 'deleted-user', object: 'carol' });
    expect(read(s, '/etc/passwd')).not.toMatch(/^carol:/m);
    expect(read(s, '/etc/passwd')).toMatch(/^imagekeeper:/m);
    for (const path of ['/home/carol', '/var/mail/carol', '/var/spool/cron/crontabs/carol', '/etc/sudoers.d/provkit-carol', '/var/lib/provkit/reservation-users']) expect(exists(s, path)).toBe(false);
    expect(exists(s, '/home/imagekeeper')).toBe(true);
  });

  it('post-load-record removes the vcld_post_load line from currentimage.txt and keeps the rest', async () => {
    const s = lab.state;
    seed(s, '/root/currentimage.txt', 'debian12-base-v3\nid=12\nvcld_post_load=success (1700000000)\n');
    expect((await runOnly('post-load-record')).detail).toBe('changed /root/currentimage.txt (vcld_post_load removed)');
    expect(read(s, '/root/currentimage.txt')).toBe('debian12-base-v3\nid=12\n');
  });

  it('passwd-backups removes the account file backups the guest made, keeping the account files', async () => {
    const s = lab.state;
    await inGuest(s, ['useradd', '-m', 'imageuser']);
    expect(exists(s, '/etc/passwd-')).toBe(true);
    const report = await runOnly('passwd-backups');
    expect(removed(report)).toEqual(expect.arrayContaining(['/etc/passwd-', '/etc/shadow-', '/etc/group-']));
    for (const path of ['/etc/passwd-', '/etc/shadow-', '/etc/group-', '/etc/gshadow-']) expect(exists(s, path)).toBe(false);
    expect(read(s, '/etc/passwd')).toContain('imageuser:');
  });

  it('backup-files removes *~, *.bak and *.dpkg-old under /etc, /root and /var and leaves /home alone', async () => {
    const s = lab.state;
    seed(s, '/etc/fstab~', 'old');
    seed(s, '/root/notes.bak', 'old');
    seed(s, '/etc/app.conf.dpkg-old', 'old');
    seed(s, '/home/bob/app.conf.dpkg-old', 'old');
    seed(s, '/home/bob/app.conf', 'keep');
    expect(removed(await runOnly('backup-files')).sort()).toEqual(['/etc/app.conf.dpkg-old', '/etc/fstab~', '/root/notes.bak']);
    expect(read(s, '/home/bob/app.conf')).toBe('keep');
    expect(read(s, '/home/bob/app.conf.dpkg-old')).toBe('old');
  });

  it('pacct-log truncates the accounting log and removes rotated ones', async () => {
    const s = lab.state;
    seed(s, '/var/log/account/pacct', Buffer.alloc(64, 7));
    seed(s, '/var/log/account/pacct.0', Buffer.alloc(64, 7));
    const report = await runOnly('pacct-log');
    expect(report.actions).toEqual([
      { verb: 'truncated', object: '/var/log/account/pacct' },
      { verb: 'removed', object: '/var/log/account/pacct.0' },
    ]);
    expect(sizeOf(s, '/var/log/account/pacct')).toBe(0);
  });

  it('every operation is a no-op the second time (idempotent) and on files that do not exist', async () => {
    const names = ['ssh-userdir', 'network-dhcp', 'swap', 'random-seed', 'bash-history', 'zsh-history', 'rotated-logs', 'logfiles', 'tmp-files', 'udev-persistent-net', 'dhcp-client-state',
      'dhcp-server-state', 'net-hwaddr', 'net-hostname', 'net-nmconn', 'hostname-file', 'kerberos-hostkeytab', 'cron-spool', 'mail-spool', 'crash-data',
      'package-manager-cache', 'utmp', 'passwd-backups', 'backup-files', 'pacct-log', 'machine-id', 'logoff-users', 'reservation-accounts', 'post-load-record'];
    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: names });
    expect(result.operations.filter((report) => report.changed)).toEqual([]);
  });
});
