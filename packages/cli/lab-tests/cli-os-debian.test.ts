/**
 * The `provkit os ...` commands against the lab's real Debian root (its own sshd, useradd,
 * chpasswd and nftables in their own namespaces), configured by a file as a user would:
 * users with a key and a password from a file, then from an environment variable (checked
 * against /etc/shadow with libcrypt), firewall grant and revoke read back with nft,
 * currentimage.txt written and read, admin passwords randomized without printing them, and
 * the exit codes of a timeout and of a broken configuration.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execInDebianRoot, freeLoopbackPort, resetDebianRoot, type DebianRootLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/index.ts';
import { runCli, type CliRun } from '../test-support/run-cli.ts';

const NODE = 'debian-root';
let state: DebianRootLabState;
let dir: string;
let config: string;

function provkit(...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--config', config]);
}

function shadowHash(user: string): string {
  const line = execFileSync('cat', [join(state.rootPath, 'etc', 'shadow')], { encoding: 'utf8' })
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) throw new Error(`no shadow entry for ${user}`);
  return line.split(':')[1]!;
}

/** True when `password` matches the shadow hash (libcrypt through Python, password on stdin). */
function passwordMatches(hash: string, password: string): boolean {
  if (!hash.startsWith('$')) return false;
  const out = execFileSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; p,h=sys.stdin.read().split("\\n")[:2]; print(crypt.crypt(p,h)==h)'], { input: `${password}\n${hash}\n` });
  return out.toString().trim() === 'True';
}

beforeAll(async () => {
  state = await resetDebianRoot();
  dir = await mkdtemp(join(tmpdir(), 'provkit-cli-os-lab-'));
  config = join(dir, 'provkit.yaml');
  // OS commands never build the provisioner; the file still names one, as every provkit file does.
  const file = {
    provisioner: { kind: 'kvm', host: 'local', libraryDir: join(dir, 'images'), nodeDiskDir: join(dir, 'disks') },
    os: { kind: 'linux', username: state.username, privateKeyPath: state.privateKeyPath, knownHostsPath: state.knownHostsPath, connectTimeoutMs: 5000 },
    nodes: { [NODE]: { address: { host: state.host, port: state.port } } },
  };
  await writeFile(config, `${JSON.stringify(file, null, 2)}\n`);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('provkit os commands on the lab Debian root', () => {
  it('checks the configuration and waits for the node', async () => {
    expect(JSON.parse((await provkit('config', 'check', '--json')).stdout)).toEqual({ valid: true, provisioner: 'kvm', os: 'linux' });
    const waited = await provkit('os', 'wait', NODE, '--timeout', '30000', '--json');
    expect(waited.code, waited.stdout).toBe(EXIT.ok);
  });

  it('adds a user with a key and a password from a file, changes it from the environment, deletes the user; no password in any output', async () => {
    const passwordFile = join(dir, 'alice.password');
    await writeFile(passwordFile, 'Alice-From-File-1\n', { mode: 0o600 });
    const added = await provkit('os', 'add-user', NODE, 'alice', '--admin', '--ssh-key', `${state.privateKeyPath}.pub`, '--password-file', passwordFile, '--json');
    expect(added.code, added.stdout).toBe(EXIT.ok);
    expect(JSON.parse(added.stdout)).toEqual({ node: NODE, action: 'add-user', username: 'alice', admin: true, sshPublicKeys: 1 });
    expect(await readFile(join(state.rootPath, 'etc', 'passwd'), 'utf8')).toMatch(/^alice:x:/m);
    expect(await readFile(join(state.rootPath, 'home', 'alice', '.ssh', 'authorized_keys'), 'utf8')).toContain((await readFile(`${state.privateKeyPath}.pub`, 'utf8')).trim());
    expect(passwordMatches(shadowHash('alice'), 'Alice-From-File-1')).toBe(true);

    process.env.PROVKIT_CLI_LAB_PASSWORD = 'Alice-From-Env-2';
    try {
      const changed = await provkit('os', 'set-password', NODE, 'alice', '--password-env', 'PROVKIT_CLI_LAB_PASSWORD');
      expect(changed.code, changed.stderr).toBe(EXIT.ok);
      expect(changed.stdout).toBe(`set the password of alice on ${NODE}\n`);
      expect(passwordMatches(shadowHash('alice'), 'Alice-From-Env-2')).toBe(true);
      for (const output of [added.stdout, added.stderr, changed.stdout, changed.stderr]) {
        expect(output).not.toContain('Alice-From-File-1');
        expect(output).not.toContain('Alice-From-Env-2');
      }
    } finally {
      delete process.env.PROVKIT_CLI_LAB_PASSWORD;
    }

    const deleted = await provkit('os', 'delete-user', NODE, 'alice', '--remove-home', '--json');
    expect(deleted.code, deleted.stdout).toBe(EXIT.ok);
    expect(await readFile(join(state.rootPath, 'etc', 'passwd'), 'utf8')).not.toMatch(/^alice:/m);
  });

  it('grants and revokes access in the guest firewall, read back with nft', async () => {
    const granted = await provkit('os', 'grant-access', NODE, '192.168.77.50', '--port', '22', '--port', '3389', '--json');
    expect(granted.code, granted.stdout).toBe(EXIT.ok);
    expect(JSON.parse(granted.stdout)).toMatchObject({ remoteIp: '192.168.77.50', ports: [22, 3389] });
    expect(await execInDebianRoot(state, ['nft', 'list', 'ruleset'])).toContain('ip saddr 192.168.77.50 tcp dport 22 accept comment "provkit grant"');
    const revoked = await provkit('os', 'revoke-access', NODE, '192.168.77.50', '--port', '22', '--port', '3389', '--json');
    expect(revoked.code, revoked.stdout).toBe(EXIT.ok);
    expect(await execInDebianRoot(state, ['nft', 'list', 'ruleset'])).not.toContain('192.168.77.50');
  });

  it('writes and reads currentimage.txt', async () => {
    const none = await provkit('os', 'read-image', NODE, '--json');
    expect(none.code).toBe(EXIT.notFound);
    expect(JSON.parse(none.stdout)).toMatchObject({ currentImage: null });
    expect((await provkit('os', 'write-image', NODE, 'clios-v3', '--property', 'id=42', '--post-load-done')).code).toBe(EXIT.ok);
    const read = await provkit('os', 'read-image', NODE, '--json');
    expect(read.code, read.stdout).toBe(EXIT.ok);
    expect(JSON.parse(read.stdout)).toMatchObject({ currentImage: { image: 'clios-v3', properties: { id: '42', vcld_post_load: expect.stringMatching(/^success \(\d+\)$/) }, postLoadDone: true } });
  });

  it('randomizes the admin passwords and prints whose changed, never the passwords', async () => {
    const before = shadowHash('root');
    const randomized = await provkit('os', 'randomize-passwords', NODE, '--json');
    expect(randomized.code, randomized.stdout).toBe(EXIT.ok);
    const { users } = JSON.parse(randomized.stdout) as { users: string[] };
    expect(users).toContain('root');
    expect(shadowHash('root')).not.toBe(before);
    expect(randomized.stdout + randomized.stderr).not.toMatch(/"passwords"|\$[0-9a-z]+\$/);
  });

  it('exits 5 when the node does not answer in time and 78 for a broken configuration', async () => {
    const silent = await provkit('os', 'wait', NODE, '--address', `127.0.0.1:${await freeLoopbackPort()}`, '--timeout', '2000', '--json');
    expect(silent.code, silent.stdout).toBe(EXIT.timeout);
    expect(JSON.parse(silent.stdout)).toMatchObject({ error: { code: 'TIMEOUT' } });
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, `provisioner: { kind: kvm, host: local, libraryDir: /a, nodeDiskDir: /b }\nos: { kind: linux, privateKeyPath: ${state.privateKeyPath}, knownHostsPath: ${join(dir, 'missing_known_hosts')} }\n`);
    const refused = await runCli(['os', 'wait', NODE, '--address', `${state.host}:${state.port}`, '--config', broken]);
    expect(refused.code).toBe(EXIT.configuration);
    expect(refused.stderr).toBe(`provkit: Invalid os.knownHostsPath: ${join(dir, 'missing_known_hosts')} does not exist [INVALID_INPUT]\n`);
  });
});
