/**
 * The operations of virt-sysprep's default set that clean service state, RHEL-family files and
 * the leftovers a dirty Debian machine keeps (random seed, /var/backups, caches, the journal's
 * machine-id directory), one at a time against the lab's real Debian root: each test plants
 * the files the operation targets, runs `preCapture` with only that operation and end state
 * `on`, and inspects the root's file system afterwards. Files of the Red Hat family are planted
 * at the paths those systems use; the root runs a Debian userland, which the test names say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinuxOperationReport, LinuxOsModule } from '@provkit/os-linux';
import { exists, inGuest, read, seed, sizeOf, startDebianRoot, type DebianRootFixture } from './test-support/debian-root-fixture.ts';

let lab: DebianRootFixture;
let module: LinuxOsModule;

beforeAll(async () => {
  lab = await startDebianRoot();
  module = lab.module();
});
afterAll(async () => lab?.close());

async function runOnly(name: string): Promise<LinuxOperationReport> {
  const result = await module.preCapture({ node: lab.node, endState: 'on', operations: [name] });
  expect(result.operations.map((report) => report.name)).toEqual([name]);
  expect(result.report.map((entry) => entry.operation)).toEqual([name]);
  return result.operations[0]!;
}

function removed(report: LinuxOperationReport): string[] {
  return report.actions.filter((action) => action.verb === 'removed').map((action) => action.object).sort();
}

/** Plants each path (from the host, inside the root) and checks it is there. */
function plant(paths: readonly string[]): void {
  for (const path of paths) {
    seed(lab.state, path, `planted ${path}\n`);
    expect(exists(lab.state, path), path).toBe(true);
  }
}

function expectGone(paths: readonly string[]): void {
  for (const path of paths) expect(exists(lab.state, path), path).toBe(false);
}

function expectKept(paths: readonly string[]): void {
  for (const path of paths) expect(exists(lab.state, path), path).toBe(true);
}

describe("virt-sysprep's service-state operations on a real Debian root", () => {
  it("ipa-client removes IPA's enrolment files and its CA in Debian's store, keeping the directories and the NSS database", async () => {
    const targets = ['/etc/ipa/ca.crt', '/etc/ipa/default.conf', '/var/lib/ipa-client/sysrestore/sysrestore.state', '/var/lib/ipa-client/pki/kdc-ca-bundle.pem', '/usr/local/share/ca-certificates/ipa-ca.crt'];
    plant([...targets, '/etc/ipa/nssdb/cert9.db']);
    const report = await runOnly('ipa-client');
    expect(removed(report)).toEqual([...targets].sort());
    expectGone(targets);
    expectKept(['/etc/ipa/nssdb/cert9.db', '/var/lib/ipa-client/sysrestore', '/var/lib/ipa-client/pki']);
    // This root has no ca-certificates package: the report says the bundle could not be refreshed.
    expect(report.actions).toContainEqual({ verb: 'note', object: 'no update-ca-trust or update-ca-certificates: the system CA bundle may still hold IPA\'s CA' });
  });

  it("sssd-db-log removes sssd's logs and cache databases, keeping its memory cache and directories", async () => {
    const targets = ['/var/log/sssd/sssd.log', '/var/log/sssd/sssd_example.com.log', '/var/lib/sss/db/cache_example.com.ldb', '/var/lib/sss/db/ccache_EXAMPLE.COM'];
    plant([...targets, '/var/lib/sss/mc/passwd']);
    expect(removed(await runOnly('sssd-db-log'))).toEqual([...targets].sort());
    expectGone(targets);
    expectKept(['/var/lib/sss/mc/passwd', '/var/lib/sss/db', '/var/log/sssd']);
  });

  it("puppet-data-log removes puppet's log, state, reports and agent SSL key, keeping the directories", async () => {
    const targets = ['/var/log/puppet/puppet.log', '/var/lib/puppet/state/last_run_summary.yaml', '/var/lib/puppet/reports/node1/202612010000.yaml', '/var/lib/puppet/ssl/private_keys/node1.pem', '/var/lib/puppet/ssl/certs/node1.pem'];
    plant(targets);
    expect(removed(await runOnly('puppet-data-log'))).toEqual([...targets].sort());
    expectGone(targets);
    expectKept(['/var/lib/puppet/ssl/private_keys', '/var/lib/puppet/state']);
  });

  it("dovecot-data removes dovecot's data files", async () => {
    const targets = ['/var/lib/dovecot/instances', '/var/lib/dovecot/ssl-parameters.dat'];
    plant(targets);
    expect(removed(await runOnly('dovecot-data'))).toEqual([...targets].sort());
    expectKept(['/var/lib/dovecot']);
  });

  it("samba-db-log removes Samba's logs and tdb files (secrets.tdb included), keeping the directories", async () => {
    const targets = ['/var/log/samba/log.smbd', '/var/log/samba/old/log.smbd.1', '/var/lib/samba/account_policy.tdb', '/var/lib/samba/private/secrets.tdb', '/var/lib/samba/private/passdb.tdb'];
    plant(targets);
    expect(removed(await runOnly('samba-db-log'))).toEqual([...targets].sort());
    expectGone(targets);
    expectKept(['/var/lib/samba/private', '/var/log/samba/old']);
  });

  it('pam-data removes console, faillock and sepermit records through /var/run', async () => {
    plant(['/run/faillock/alice', '/run/console/alice', '/run/sepermit/alice']);
    expect(removed(await runOnly('pam-data'))).toEqual(['/var/run/console/alice', '/var/run/faillock/alice', '/var/run/sepermit/alice']);
    expectGone(['/run/faillock/alice', '/run/console/alice', '/run/sepermit/alice']);
    expectKept(['/run/faillock']);
  });

  it('blkid-tab removes blkid caches and leaves a symbolic link in their place alone', async () => {
    plant(['/etc/blkid.tab', '/etc/blkid.tab.old', '/run/blkid.tab', '/etc/blkid/blkid.tab.old']);
    await inGuest(lab.state, ['ln', '-s', '/dev/null', '/etc/blkid/blkid.tab']);
    expect(removed(await runOnly('blkid-tab'))).toEqual(['/etc/blkid.tab', '/etc/blkid.tab.old', '/etc/blkid/blkid.tab.old', '/var/run/blkid.tab']);
    expectKept(['/etc/blkid/blkid.tab']);
  });
});

describe('virt-sysprep\'s RHEL-family operations, files planted as RHEL lays them out; this machine runs a Debian userland', () => {
  it('rpm-db removes the Berkeley DB environment files (planted as RHEL lays them out; this machine runs a Debian userland), keeping the package database', async () => {
    plant(['/var/lib/rpm/__db.001', '/var/lib/rpm/__db.002', '/var/lib/rpm/Packages', '/var/lib/rpm/rpmdb.sqlite']);
    expect(removed(await runOnly('rpm-db'))).toEqual(['/var/lib/rpm/__db.001', '/var/lib/rpm/__db.002']);
    expectKept(['/var/lib/rpm/Packages', '/var/lib/rpm/rpmdb.sqlite']);
  });

  it("yum-uuid removes yum's UUID (planted as RHEL lays them out; this machine runs a Debian userland)", async () => {
    plant(['/var/lib/yum/uuid']);
    expect(removed(await runOnly('yum-uuid'))).toEqual(['/var/lib/yum/uuid']);
  });

  it('rh-subscription-manager empties /etc/pki/consumer and /etc/pki/entitlement (planted as RHEL lays them out; this machine runs a Debian userland)', async () => {
    const targets = ['/etc/pki/consumer/cert.pem', '/etc/pki/consumer/key.pem', '/etc/pki/entitlement/4242.pem', '/etc/pki/entitlement/4242-key.pem'];
    plant([...targets, '/etc/pki/product-default/479.pem']);
    expect(removed(await runOnly('rh-subscription-manager'))).toEqual([...targets].sort());
    expectKept(['/etc/pki/consumer', '/etc/pki/entitlement', '/etc/pki/product-default/479.pem']);
  });

  it('rhn-systemid removes the RHN system id and osad credentials (planted as RHEL lays them out; this machine runs a Debian userland), keeping up2date', async () => {
    plant(['/etc/sysconfig/rhn/systemid', '/etc/sysconfig/rhn/osad-auth.conf', '/etc/sysconfig/rhn/up2date']);
    expect(removed(await runOnly('rhn-systemid'))).toEqual(['/etc/sysconfig/rhn/osad-auth.conf', '/etc/sysconfig/rhn/systemid']);
    expectKept(['/etc/sysconfig/rhn/up2date']);
  });

  it("smolt-uuid removes Smolt's hardware UUIDs (planted as RHEL lays them out; this machine runs a Debian userland)", async () => {
    const targets = ['/etc/sysconfig/hw-uuid', '/etc/smolt/uuid', '/etc/smolt/hw-uuid'];
    plant(targets);
    expect(removed(await runOnly('smolt-uuid'))).toEqual([...targets].sort());
  });

  it('abrt-data empties /var/spool/abrt (planted as RHEL lays them out; this machine runs a Debian userland)', async () => {
    plant(['/var/spool/abrt/ccpp-2026-11-30-10:00:00-1234/coredump', '/var/spool/abrt/last-ccpp']);
    expect(removed(await runOnly('abrt-data'))).toEqual(['/var/spool/abrt/ccpp-2026-11-30-10:00:00-1234', '/var/spool/abrt/last-ccpp']);
    expectKept(['/var/spool/abrt']);
  });

  it("lvm-system-devices removes LVM's device list (planted as RHEL lays them out; this machine runs a Debian userland), keeping lvm.conf", async () => {
    plant(['/etc/lvm/devices/system.devices', '/etc/lvm/lvm.conf']);
    expect(removed(await runOnly('lvm-system-devices'))).toEqual(['/etc/lvm/devices/system.devices']);
    expectKept(['/etc/lvm/lvm.conf', '/etc/lvm/devices']);
  });
});

describe("a dirty Debian machine's leftovers virt-sysprep removes", () => {
  it('random-seed removes the saved seeds of systemd and sysvinit', async () => {
    plant(['/var/lib/systemd/random-seed', '/var/lib/urandom/random-seed']);
    expect(removed(await runOnly('random-seed'))).toEqual(['/var/lib/systemd/random-seed', '/var/lib/urandom/random-seed']);
  });

  it("logfiles removes the journal directory named after the old machine-id, the man and fontconfig caches and logrotate's state, and truncates the rest", async () => {
    const machineId = read(lab.state, '/etc/machine-id').trim();
    expect(machineId).toMatch(/^[0-9a-f]{32}$/);
    plant([`/var/log/journal/${machineId}/system.journal`, '/var/cache/man/index.db', '/var/cache/man/cat1/ls.1.gz', '/var/cache/fontconfig/0123-le64.cache-8', '/var/lib/logrotate/status', '/root/anaconda-ks.cfg']);
    seed(lab.state, '/var/log/messages', 'Dec  3 sshd: Accepted publickey for alice\n');
    const report = await runOnly('logfiles');
    expect(removed(report)).toEqual(['/root/anaconda-ks.cfg', `/var/cache/fontconfig/0123-le64.cache-8`, '/var/cache/man/cat1', '/var/cache/man/index.db', '/var/lib/logrotate/status', `/var/log/journal/${machineId}`]);
    expectKept(['/var/log/journal', '/var/cache/man', '/var/cache/fontconfig']);
    expect(sizeOf(lab.state, '/var/log/messages')).toBe(0);
  });

  it('backup-files removes /var/backups/*.bak and backups under /etc and /var, and leaves /home and /opt alone; user-backup-files (opt-in) removes those', async () => {
    const system = ['/var/backups/passwd.bak', '/var/backups/shadow.bak', '/var/backups/group.bak', '/var/backups/gshadow.bak', '/var/lib/app/state~', '/etc/fstab~', '/srv/www/index.html.bak'];
    const user = ['/home/bob/thesis.bak', '/home/bob/notes.txt~', '/opt/app/data.bak'];
    plant([...system, ...user, '/var/backups/dpkg.status.0']);
    expect(removed(await runOnly('backup-files'))).toEqual([...system].sort());
    expectKept([...user, '/var/backups/dpkg.status.0']);
    expect(removed(await runOnly('user-backup-files'))).toEqual([...user].sort());
  });

  it('a second run of every operation of this file finds nothing left to change', async () => {
    const names = ['ipa-client', 'sssd-db-log', 'puppet-data-log', 'dovecot-data', 'samba-db-log', 'pam-data', 'blkid-tab', 'rpm-db', 'yum-uuid', 'rh-subscription-manager', 'rhn-systemid', 'smolt-uuid', 'abrt-data', 'lvm-system-devices', 'random-seed', 'backup-files', 'user-backup-files'];
    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: names });
    expect(result.operations.filter((report) => report.changed)).toEqual([]);
    expect(result.report.every((entry) => entry.removed.length + entry.emptied.length + entry.changed.length === 0)).toBe(true);
  });

  // Last: the default set replaces the host keys (end state on), which this file's strict
  // known_hosts no longer matches.
  it('the whole default set (end state on) removes none of the backups under /home and /opt', async () => {
    const user = ['/home/carla/draft.bak', '/home/carla/.vimrc~', '/opt/tool/config.bak'];
    plant(user);
    const result = await module.preCapture({ node: lab.node, endState: 'on' });
    expect(result.operations.map((report) => report.name)).toContain('backup-files');
    expect(result.operations.map((report) => report.name)).not.toContain('user-backup-files');
    expectKept(user);
    expect(result.report.flatMap((entry) => [...entry.removed, ...entry.emptied, ...entry.changed]).filter((path) => /^\/(home|opt)\//.test(path))).toEqual([]);
  });
});
