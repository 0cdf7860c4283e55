import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabService, type SshdLabState } from '@provkit/lab';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  CommandFailedError,
  ConnectionError,
  HostKeyMismatchError,
  Secret,
  SshPool,
  TimeoutError,
  fingerprintSha256,
  sh,
  waitFor,
  type CommandEvent,
  type HostKeyPolicy,
  type SshTarget,
} from '@provkit/core';

let lab: SshdLabState;
let target: SshTarget;
const pools: SshPool[] = [];

function newPool(options: ConstructorParameters<typeof SshPool>[0] = {}): SshPool {
  const pool = new SshPool(options);
  pools.push(pool);
  return pool;
}

/** TCP connections sshd accepted so far (LogLevel VERBOSE logs one line each). */
function connectionsAccepted(): number {
  return readFileSync(lab.logPath, 'utf8').split('\n').filter((line) => line.startsWith('Connection from ')).length;
}

function authenticated(): number {
  return readFileSync(lab.logPath, 'utf8').split('\n').filter((line) => line.startsWith('Accepted publickey')).length;
}

beforeAll(async () => {
  lab = await ensureLabService<SshdLabState>('sshd');
  target = {
    host: lab.host,
    port: lab.port,
    username: lab.username,
    privateKeyPath: lab.privateKeyPath,
    hostKey: { kind: 'known-hosts', path: lab.knownHostsPath },
  };
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

describe('SSH runner against a real sshd', () => {
  it('runs 100 sequential and 100 concurrent commands over exactly one TCP connection', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const before = connectionsAccepted();
    for (let i = 0; i < 100; i++) expect((await runner.run(['echo', String(i)])).stdout).toBe(`${i}\n`);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => runner.run(['echo', `c${i}`])));
    expect(results.map((result) => result.stdout)).toEqual(Array.from({ length: 100 }, (_, i) => `c${i}\n`));
    expect(connectionsAccepted() - before).toBe(1);
    expect(pool.stats.connectionsOpened).toBe(1);
  });

  it('returns exit codes, stdout and stderr exactly, and throws CommandFailedError when asked to check', async () => {
    const runner = newPool().runner(target);
    const result = await runner.run(sh`printf 'out\\n'; printf 'err\\n' >&2; exit 7`, { check: false });
    expect(result).toMatchObject({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
    const error = await runner.run(sh`echo broken >&2; exit 3`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ exitCode: 3, stderrTail: 'broken', code: 'COMMAND_FAILED' });
  });

  it('streams stdin and returns large binary output byte for byte', async () => {
    const runner = newPool().runner(target);
    const payload = randomBytes(8 * 1024 * 1024);
    const echoed = await runner.run(['cat'], { stdin: payload });
    expect(echoed.stdoutBytes.equals(payload)).toBe(true);
    const counted = await runner.run(['seq', '1', '300000']);
    expect(counted.stdout).toBe(`${Array.from({ length: 300000 }, (_, i) => i + 1).join('\n')}\n`);
  });

  it('streams stdin from a Readable and moves files over SFTP with their modes', async () => {
    const runner = newPool().runner(target);
    const chunks = Array.from({ length: 64 }, (_, i) => randomBytes(16 * 1024 + i));
    const streamed = await runner.run(['sha256sum'], { stdin: Readable.from(chunks) });
    expect(streamed.stdout.split(' ')[0]).toBe(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));

    const dir = (await runner.run(['mktemp', '-d'])).stdout.trim();
    const local = await mkdtemp(join(tmpdir(), 'provkit-sftp-'));
    const payload = randomBytes(3 * 1024 * 1024 + 7);
    await writeFile(join(local, 'up.bin'), payload);
    await runner.uploadFile(join(local, 'up.bin'), `${dir}/up.bin`, { mode: 0o600 });
    await runner.writeFile(`${dir}/secret.txt`, Secret.of('s3cret\n'), { mode: 0o400 });
    const listing = await runner.run(sh`stat -c '%a %s %n' ${dir}/up.bin ${dir}/secret.txt && sha256sum ${dir}/up.bin`);
    expect(listing.stdout).toBe(
      `600 ${payload.length} ${dir}/up.bin\n400 7 ${dir}/secret.txt\n${createHash('sha256').update(payload).digest('hex')}  ${dir}/up.bin\n`,
    );
    await runner.downloadFile(`${dir}/up.bin`, join(local, 'down.bin'));
    expect((await readFile(join(local, 'down.bin'))).equals(payload)).toBe(true);
    await runner.run(['rm', '-rf', '--', dir]);
  });

  it('kills a command past its timeout (the remote process is gone) and raises TimeoutError', async () => {
    const runner = newPool().runner(target);
    const marker = `provkit-timeout-${process.pid}-${Date.now()}`;
    const error = await runner.run(sh`sleep 600; echo ${marker}`, { timeoutMs: 500 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).awaited).toContain('sleep 600');
    // "[s]leep" keeps pgrep from matching the shell that runs pgrep itself.
    const left = await runner.run(sh`pgrep -f ${`[s]leep 600; echo ${marker}`} || true`);
    expect(left.stdout.trim()).toBe('');
    // The connection survives the kill.
    expect((await runner.run(['echo', 'still here'])).stdout).toBe('still here\n');
  });

  it('stops a running command and a bounded wait when the signal aborts', async () => {
    const runner = newPool().runner(target);
    const controller = new AbortController();
    const running = runner.run(sh`sleep 600`, { signal: controller.signal }).catch((caught: unknown) => caught);
    const waiting = waitFor({
      what: 'a file that never appears',
      timeoutMs: 600_000,
      signal: controller.signal,
      poll: async ({ signal }) => {
        const probe = await runner.run(sh`test -e /nonexistent/provkit && echo yes || echo no`, { signal });
        return probe.stdout.trim() === 'yes' ? { done: true, value: true } : { done: false, state: 'absent' };
      },
    }).catch((caught: unknown) => caught);
    // Abort once the command is known to run on the server, not after a guessed delay.
    await waitFor({
      what: 'sleep 600 to start',
      timeoutMs: 20_000,
      poll: async () => ((await runner.run(sh`pgrep -x sleep || true`)).stdout.trim() ? { done: true, value: true } : { done: false, state: 'not started' }),
    });
    controller.abort();
    expect(await running).toBeInstanceOf(AbortedError);
    expect(await waiting).toBeInstanceOf(AbortedError);
    expect((await runner.run(sh`pgrep -fx 'sleep 600' || true`)).stdout.trim()).toBe('');
  });

  it('reconnects after the connection is killed mid-run', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    await runner.run(['true']);
    const running = runner.run(sh`sleep 30`).catch((caught: unknown) => caught);
    await waitFor({
      what: 'sleep 30 to start',
      timeoutMs: 20_000,
      poll: async () => ((await runner.run(sh`pgrep -fx 'sleep 30' || true`)).stdout.trim() ? { done: true, value: true } : { done: false, state: 'not started' }),
    });
    // Kill the server-side processes of every connection (children of the listening sshd).
    const listener = readFileSync(lab.pidPath, 'utf8').trim();
    execFileSync('pkill', ['-KILL', '-P', listener]);
    expect(await running).toBeInstanceOf(ConnectionError);
    const result = await runner.run(['echo', 'back']);
    expect(result.stdout).toBe('back\n');
    expect(pool.stats.connectionsOpened).toBe(2);
  });

  it('refuses a host whose key differs from the pinned fingerprint before any command runs', async () => {
    const wrong = fingerprintSha256(randomBytes(51));
    const authBefore = authenticated();
    const runner = newPool().runner({ ...target, hostKey: { kind: 'fingerprint', sha256: wrong } });
    const error = await runner.run(sh`touch /tmp/provkit-must-not-exist`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect(error).toMatchObject({ actual: lab.hostKeyFingerprint, expected: wrong });
    expect(authenticated()).toBe(authBefore);
    // And the right fingerprint is accepted.
    const right = newPool().runner({ ...target, hostKey: { kind: 'fingerprint', sha256: lab.hostKeyFingerprint } });
    expect((await right.run(['echo', 'ok'])).stdout).toBe('ok\n');
  });

  it('refuses a changed key in known_hosts, and accept-new records a new host then pins it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provkit-known-hosts-'));
    const otherKey = randomBytes(32);
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), otherKey]);
    const changed = join(dir, 'changed');
    await writeFile(changed, `[${lab.host}]:${lab.port} ssh-ed25519 ${blob.toString('base64')}\n`);
    const refuse: HostKeyPolicy = { kind: 'known-hosts', path: changed };
    await expect(newPool().runner({ ...target, hostKey: refuse }).run(['true'])).rejects.toBeInstanceOf(HostKeyMismatchError);

    const fresh = join(dir, 'fresh');
    await newPool().runner({ ...target, hostKey: { kind: 'accept-new', path: fresh } }).run(['true']);
    expect(await readFile(fresh, 'utf8')).toBe(readFileSync(lab.knownHostsPath, 'utf8'));
    await expect(newPool().runner({ ...target, hostKey: { kind: 'accept-new', path: changed } }).run(['true'])).rejects.toBeInstanceOf(HostKeyMismatchError);
  });

  it('round-trips arbitrary strings through sh -c over SSH byte for byte (property)', async () => {
    const runner = newPool().runner(target);
    const nasty = fc.constantFrom("'", '"', '$(id)', '`id`', '\n', '\\', '$HOME', '*', '!', ';', '&&', '|', '#', ' ', '\t', '~', '%s', '-n', '--');
    const word = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), nasty), { maxLength: 8 }).map((parts) => parts.join('').replace(/\0/g, ''));
    await fc.assert(
      fc.asyncProperty(word, async (text) => {
        const result = await runner.run(sh`printf %s ${text}`);
        expect(result.stdoutBytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('never lets a Secret reach an event or an error', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const events: CommandEvent[] = [];
    pool.events.on('command', (event) => events.push(event));
    const password = Secret.of(`pw-${randomBytes(8).toString('hex')}`);
    // The command echoes its stdin to stderr and fails: the error quotes stderr.
    const error = await runner.run(sh`read -r line; echo "got $line" >&2; exit 4`, { stdin: password }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CommandFailedError);
    // A secret that is part of the command line itself is redacted when declared.
    await runner.run(sh`echo ${password.reveal()} >/dev/null`, { secrets: [password] });
    const texts = [String(error), JSON.stringify(error), (error as Error).message, JSON.stringify(events), String(password), JSON.stringify({ password })];
    for (const text of texts) expect(text).not.toContain(password.reveal());
    expect((error as CommandFailedError).stderrTail).toBe('got [redacted]');
  });
});
