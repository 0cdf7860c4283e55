/**
 * Users and passwords against the real Debian root: accounts made by the guest's useradd,
 * passwords set through chpasswd's standard input and checked against /etc/shadow with
 * libcrypt, key logins and sudo over real SSH, and the secret never in an event.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, Secret } from '@provkit/core';
import { SshPool, type CommandRunner } from '@provkit/runners';
import { SystemAccountError, type LinuxOsModule } from '@provkit/os-linux';
import { exists, inGuest, passwordMatches, read, seed, shadowHash, startDebianRoot, type DebianRootFixture } from './test-support/debian-root-fixture.ts';

let lab: DebianRootFixture;
let module: LinuxOsModule;
let publicKey: string;
const pools: SshPool[] = [];

beforeAll(async () => {
  lab = await startDebianRoot();
  module = lab.module();
  publicKey = readFileSync(`${lab.state.privateKeyPath}.pub`, 'utf8').trim();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await lab?.close();
});

/** A runner logged in as `username` with the lab key, on a connection of its own. */
function runnerAs(username: string): CommandRunner {
  const pool = new SshPool();
  pools.push(pool);
  return pool.runner({ host: lab.state.host, port: lab.state.port, username, privateKeyPath: lab.state.privateKeyPath, hostKey: { kind: 'known-hosts', path: lab.state.knownHostsPath } });
}

describe('LinuxOsModule users on a real Debian root', () => {
  it('creates a key-only user who then logs in over SSH, and records it as a reservation account', async () => {
    const s = lab.state;
    expect(read(s, '/etc/passwd')).not.toContain('alice:');
    await module.createUser({ node: lab.node, username: 'alice', sshPublicKeys: [publicKey] });
    expect(read(s, '/etc/passwd')).toMatch(/^alice:x:\d+:\d+::\/home\/alice:\/bin\/bash$/m);
    expect(shadowHash(s, 'alice')).toBe('*');
    expect(read(s, '/home/alice/.ssh/authorized_keys')).toBe(`${publicKey}\n`);
    expect(read(s, '/var/lib/provkit/reservation-users')).toBe('alice\n');
    expect((await runnerAs('alice').run(['id', '-un'])).stdout.trim()).toBe('alice');
  });

  it('creates an administrator with a password: the hash verifies, the sudoers drop-in passes visudo, sudo works over SSH', async () => {
    const s = lab.state;
    const password = Secret.of(`Adm1n-${Math.random().toString(36).slice(2)}`);
    lab.events.length = 0;
    await module.createUser({ node: lab.node, username: 'bob', password, admin: true, sshPublicKeys: [publicKey] });
    expect(passwordMatches(shadowHash(s, 'bob'), password)).toBe(true);
    expect(read(s, '/etc/sudoers.d/provkit-bob')).toBe('bob ALL=(ALL:ALL) NOPASSWD: ALL\n');
    expect(await inGuest(s, ['visudo', '-cf', '/etc/sudoers.d/provkit-bob'])).toContain('parsed OK');
    expect((await runnerAs('bob').run(['sudo', '-n', 'id', '-u'])).stdout.trim()).toBe('0');
    expect(JSON.stringify(lab.events)).not.toContain(password.reveal());
  });

  it('createUser again brings an existing account to the spec (admin removed) without recreating it', async () => {
    const s = lab.state;
    const uid = read(s, '/etc/passwd').match(/^bob:x:(\d+):/m)![1];
    await module.createUser({ node: lab.node, username: 'bob', admin: false, sshPublicKeys: [publicKey] });
    expect(read(s, '/etc/passwd').match(/^bob:x:(\d+):/m)![1]).toBe(uid);
    expect(exists(s, '/etc/sudoers.d/provkit-bob')).toBe(false);
    expect(read(s, '/var/lib/provkit/reservation-users')).toBe('alice\nbob\n');
  });

  it('setPassword changes the hash through chpasswd, never putting the password in an event', async () => {
    const s = lab.state;
    const before = shadowHash(s, 'alice');
    const password = Secret.of(`new pass: with spaces ' and "quotes" ${Date.now()}`);
    lab.events.length = 0;
    await module.setPassword({ node: lab.node, username: 'alice', password });
    const after = shadowHash(s, 'alice');
    expect(after).not.toBe(before);
    expect(passwordMatches(after, password)).toBe(true);
    expect(lab.events.some((event) => 'command' in event && event.command.includes('chpasswd'))).toBe(true);
    expect(JSON.stringify(lab.events)).not.toContain(password.reveal());
  });

  it("randomizeAdminPasswords gives root and the image's sudo members new passwords, not reservation accounts", async () => {
    const s = lab.state;
    await inGuest(s, ['useradd', '-m', '-G', 'sudo', 'opal']);
    await module.createUser({ node: lab.node, username: 'carl', admin: true, password: Secret.of('carl-own-password') });
    const carlBefore = shadowHash(s, 'carl');
    lab.events.length = 0;
    const { passwords } = await module.randomizeAdminPasswords({ node: lab.node });
    expect(Object.keys(passwords).sort()).toEqual(['opal', 'root']);
    expect(passwordMatches(shadowHash(s, 'root'), passwords.root!)).toBe(true);
    expect(passwordMatches(shadowHash(s, 'opal'), passwords.opal!)).toBe(true);
    expect(shadowHash(s, 'carl')).toBe(carlBefore);
    const text = JSON.stringify(lab.events);
    for (const secret of Object.values(passwords)) expect(text).not.toContain(secret.reveal());
  });

  it('deleteUser removes the account, home, mail, crontab and sudoers drop-in, and forgets the reservation', async () => {
    const s = lab.state;
    seed(s, '/var/mail/carl', 'From root\n');
    seed(s, '/var/spool/cron/crontabs/carl', '* * * * * true\n');
    expect(exists(s, '/home/carl')).toBe(true);
    await module.deleteUser({ node: lab.node, username: 'carl' });
    expect(read(s, '/etc/passwd')).not.toContain('carl:');
    for (const path of ['/home/carl', '/var/mail/carl', '/var/spool/cron/crontabs/carl', '/etc/sudoers.d/provkit-carl']) expect(exists(s, path)).toBe(false);
    expect(read(s, '/var/lib/provkit/reservation-users')).toBe('alice\nbob\n');
    await module.deleteUser({ node: lab.node, username: 'carl' });
  });

  it('refuses to delete root or a system account, and leaves them in place', async () => {
    await expect(module.deleteUser({ node: lab.node, username: 'root' })).rejects.toBeInstanceOf(InvalidInputError);
    const error = await module.deleteUser({ node: lab.node, username: 'daemon' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemAccountError);
    expect((error as Error).message).toMatch(/refusing to delete system account daemon \(uid 1 < UID_MIN 1000\)/);
    expect(read(lab.state, '/etc/passwd')).toMatch(/^daemon:/m);
  });

  it('refuses to give keys, a password or sudo to an existing system account (a uid-0 alias too), and changes nothing', async () => {
    const s = lab.state;
    // Stays until the next file resets the root: userdel refuses a uid that sshd runs as.
    await inGuest(s, ['useradd', '-o', '-u', '0', '-g', '0', '-N', '-M', '-d', '/root', 'toor']);
    const files = async () => ({
      passwd: read(s, '/etc/passwd'),
      shadow: read(s, '/etc/shadow'),
      reservations: read(s, '/var/lib/provkit/reservation-users'),
      sudoers: await inGuest(s, ['ls', '-A', '/etc/sudoers.d']),
    });
    const before = await files();
    const sshdUid = Number(read(s, '/etc/passwd').match(/^sshd:x:(\d+):/m)![1]);
    for (const [username, uid] of [['daemon', 1], ['sshd', sshdUid], ['toor', 0]] as const) {
      const error = await module.createUser({ node: lab.node, username, password: Secret.of('Sys-acc0unt'), admin: true, sshPublicKeys: [publicKey] }).catch((caught: unknown) => caught);
      expect(error, username).toBeInstanceOf(SystemAccountError);
      expect(error).toMatchObject({ field: 'user.username', username, uid, uidMin: 1000 });
    }
    expect(await files()).toEqual(before);
    for (const path of ['/usr/sbin/.ssh', '/run/sshd/.ssh', '/etc/sudoers.d/provkit-daemon', '/etc/sudoers.d/provkit-sshd', '/etc/sudoers.d/provkit-toor']) expect(exists(s, path), path).toBe(false);
  });

  it('refuses bad names, keys, passwords and addresses before running any command', async () => {
    lab.events.length = 0;
    const node = lab.node;
    const refusals = [
      module.createUser({ node, username: 'Bad Name' }),
      module.createUser({ node, username: '$(reboot)' }),
      module.createUser({ node, username: 'ok', sshPublicKeys: ['ssh-ed25519 AAAA\nssh-rsa BBBB'] }),
      module.createUser({ node, username: 'ok', password: Secret.of('two\nlines') }),
      module.setPassword({ node, username: 'root;id', password: Secret.of('x') }),
      module.grantAccess({ node, remoteIp: '10.0.0.0/8', ports: [22] }),
      module.grantAccess({ node, remoteIp: '192.168.77.5', ports: [0] }),
      module.writeCurrentImage({ node, info: { image: 'no revision', properties: {}, postLoadDone: false } }),
      module.preCapture({ node, operations: ['machine-id', 'rm-rf'] }),
      module.preCapture({ node, endState: 'sideways' as never }),
    ];
    for (const refusal of refusals) await expect(refusal).rejects.toBeInstanceOf(InvalidInputError);
    expect(lab.events.filter((event) => 'command' in event)).toEqual([]);
  });
});
