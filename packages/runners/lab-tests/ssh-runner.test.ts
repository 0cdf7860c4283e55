import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  InvalidInputError,
  OperationFailedError,
  Secret,
  TimeoutError,
  sh,
  waitFor,
  type CommandEvent,
} from '@provkit/core';
import {
  SshPool,
  copyBetween,
  fingerprintSha256,
  waitForSshGreeting,
  type CommandRunner,
  type HostKeyPolicy,
  type SshTarget,
} from '@provkit/runners';
import { generateKey, startInetdSshd } from './test-support/inetd-sshd.ts';
import { pidsWrittenTo, processesGone } from './test-support/remote-processes.ts';
import { startTcpTap } from './test-support/tcp-tap.ts';

let lab: SshdLabState;
let target: SshTarget;
const pools: SshPool[] = [];

function newPool(options: ConstructorParameters<typeof SshPool>[0] = {}): SshPool {
  const pool = new SshPool(options);
  pools.push(pool);
  return pool;
}

// The lab sshd is shared with every other test on the machine, so its log is read only for
// connections this file can name by their source port.
function sshdLog(): string[] {
  return readFileSync(lab.logPath, 'utf8').split('\n');
}

/** TCP connections sshd accepted from 127.0.0.1:`port`. */
function connectionsFrom(port: number): number {
  return sshdLog().filter((line) => line.startsWith(`Connection from 127.0.0.1 port ${port} `)).length;
}

/** Logins sshd accepted on a connection from 127.0.0.1:`port`. */
function authenticatedFrom(port: number): number {
  return sshdLog().filter((line) => line.startsWith(`Accepted publickey for ${lab.username} from 127.0.0.1 port ${port} `)).length;
}

/** The source port of the connection a command ran on (sshd's `SSH_CLIENT`: address, port, server port). */
function clientPort(sshClient: string): number {
  return Number(sshClient.trim().split(' ')[1]);
}

/** A fresh temporary directory on the target (the lab sshd runs on this machine, but the test does not rely on it). */
async function remoteTempDir(runner: CommandRunner): Promise<string> {
  return (await runner.run(['mktemp', '-d'])).stdout.trim();
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
    // Every command reports the source port of the connection it ran on.
    const sequential: string[] = [];
    for (let i = 0; i < 100; i++) sequential.push((await runner.run(sh`echo ${i} $SSH_CLIENT`)).stdout);
    const concurrent = await Promise.all(Array.from({ length: 100 }, (_, i) => runner.run(sh`echo c${i} $SSH_CLIENT`)));
    const client = sequential[0]!.slice(2);
    expect(sequential).toEqual(Array.from({ length: 100 }, (_, i) => `${i} ${client}`));
    expect(concurrent.map((result) => result.stdout)).toEqual(Array.from({ length: 100 }, (_, i) => `c${i} ${client}`));
    // sshd saw that connection once: no reconnect reused its port.
    expect(connectionsFrom(clientPort(client))).toBe(1);
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
    await rm(local, { recursive: true, force: true });
  });

  it('copies a file between two hosts through SFTP streams (copyBetween), byte for byte, with nothing staged locally', async () => {
    // Two pools, two connections: as between two KVM hosts.
    const [from, to] = [newPool().runner(target), newPool().runner(target)];
    const dir = (await from.run(['mktemp', '-d'])).stdout.trim();
    const payload = randomBytes(5 * 1024 * 1024 + 3);
    await from.writeFile(`${dir}/from.bin`, payload);
    await copyBetween({ runner: from, path: `${dir}/from.bin` }, { runner: to, path: `${dir}/to.bin` }, { mode: 0o640 });
    const copied = await to.run(sh`stat -c '%a %s' ${dir}/to.bin && sha256sum <${dir}/to.bin`);
    expect(copied.stdout).toBe(`640 ${payload.length}\n${createHash('sha256').update(payload).digest('hex')}  -\n`);
    // A missing source is the source's SFTP error, and the target side stops with it.
    await expect(copyBetween({ runner: from, path: `${dir}/absent.bin` }, { runner: to, path: `${dir}/to2.bin` })).rejects.toMatchObject({ code: 'OPERATION_FAILED' });
    await from.run(['rm', '-rf', '--', dir]);
  });

  it('kills a command past its timeout (its whole remote process tree is gone) and raises TimeoutError', async () => {
    const runner = newPool().runner(target);
    const dir = await remoteTempDir(runner);
    const pidFile = `${dir}/pids`;
    // The shell and its child both write their PIDs; the kill must reach both.
    const running = runner.run(sh`sleep 600 & echo "$$ $!" >${pidFile}; wait`, { timeoutMs: 3000 }).catch((caught: unknown) => caught);
    const pids = await pidsWrittenTo(runner, pidFile, 20_000);
    const error = await running;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).awaited).toContain('sleep 600');
    await processesGone(runner, pids, 10_000);
    // The connection survives the kill.
    expect((await runner.run(['echo', 'still here'])).stdout).toBe('still here\n');
    await runner.run(['rm', '-rf', '--', dir]);
  });

  it('stops a running command and a bounded wait when the signal aborts', async () => {
    const runner = newPool().runner(target);
    const dir = await remoteTempDir(runner);
    const pidFile = `${dir}/pids`;
    const controller = new AbortController();
    const running = runner.run(sh`sleep 600 & echo "$$ $!" >${pidFile}; wait`, { signal: controller.signal }).catch((caught: unknown) => caught);
    const waiting = waitFor({
      what: 'a file that never appears',
      timeoutMs: 600_000,
      signal: controller.signal,
      poll: async ({ signal }) => {
        const probe = await runner.run(sh`test -e ${`${dir}/never`} && echo yes || echo no`, { signal });
        return probe.stdout.trim() === 'yes' ? { done: true, value: true } : { done: false, state: 'absent' };
      },
    }).catch((caught: unknown) => caught);
    // Abort once this command is known to run on the server, not after a guessed delay.
    const pids = await pidsWrittenTo(runner, pidFile, 20_000);
    controller.abort();
    expect(await running).toBeInstanceOf(AbortedError);
    expect(await waiting).toBeInstanceOf(AbortedError);
    await processesGone(runner, pids, 10_000);
    await runner.run(['rm', '-rf', '--', dir]);
  });

  it('reconnects after the connection is killed mid-run', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const dir = await remoteTempDir(runner);
    // The sshd process serving this connection (only this one: other tests share the server).
    // The command's ancestor whose parent is the listening sshd (its shell sits in between:
    // the login shell's exec, or the persistent shell).
    const listener = readFileSync(lab.pidPath, 'utf8').trim();
    const session = Number(
      (await runner.run(sh`pid=$$; while [ "$pid" -gt 1 ]; do parent=$(ps -o ppid= -p "$pid" | tr -d ' '); [ "$parent" = ${listener} ] && { echo "$pid"; exit 0; }; pid=$parent; done; exit 1`)).stdout.trim(),
    );
    expect((await runner.run(sh`ps -o comm= -p ${String(session)}`)).stdout.trim()).toBe('sshd');
    const running = runner.run(sh`sleep 30 & echo "$$ $!" >${`${dir}/pids`}; wait`).catch((caught: unknown) => caught);
    await pidsWrittenTo(runner, `${dir}/pids`, 20_000);
    process.kill(session, 'SIGKILL');
    expect(await running).toBeInstanceOf(ConnectionError);
    const result = await runner.run(['echo', 'back']);
    expect(result.stdout).toBe('back\n');
    expect(pool.stats.connectionsOpened).toBe(2);
    await runner.run(['rm', '-rf', '--', dir]);
  });

  it('refuses a host whose key differs from the pinned fingerprint before any command runs', async () => {
    const wrong = fingerprintSha256(randomBytes(51));
    // Through a tap, so this connection is the one looked up in the shared sshd's log.
    const tap = await startTcpTap(lab.host, lab.port);
    try {
      const marker = `/tmp/provkit-must-not-exist-${process.pid}-${Date.now()}`;
      const runner = newPool().runner({ ...target, host: '127.0.0.1', port: tap.port, hostKey: { kind: 'fingerprint', sha256: wrong } });
      const error = await runner.run(sh`touch ${marker}`).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HostKeyMismatchError);
      expect(error).toMatchObject({ actual: lab.hostKeyFingerprint, expected: wrong });
      expect(tap.upstreamPorts).toHaveLength(1);
      const [port] = tap.upstreamPorts;
      expect(connectionsFrom(port!)).toBe(1);
      expect(authenticatedFrom(port!)).toBe(0);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await tap.close();
    }
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

  it('negotiates the host key type on record: a host known only by RSA is accepted though it also offers ed25519', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provkit-inetd-sshd-'));
    await copyFile(`${lab.privateKeyPath}.pub`, join(dir, 'authorized_keys'));
    const server = await startInetdSshd(dir, ['ed25519', 'rsa'], join(dir, 'authorized_keys'));
    try {
      const name = `[127.0.0.1]:${server.port}`;
      const rsa = server.hostKeys.rsa!;
      const ed25519 = server.hostKeys.ed25519!;
      const on = (policy: HostKeyPolicy) => newPool().runner({ ...target, host: '127.0.0.1', port: server.port, hostKey: policy });
      const rsaOnly = join(dir, 'known_rsa');
      await writeFile(rsaOnly, `${name} ${rsa.type} ${rsa.base64}\n`);
      expect((await on({ kind: 'known-hosts', path: rsaOnly }).run(['echo', 'rsa'])).stdout).toBe('rsa\n');
      // accept-new treats a known host the same way, and records nothing more.
      expect((await on({ kind: 'accept-new', path: rsaOnly }).run(['true'])).exitCode).toBe(0);
      expect(await readFile(rsaOnly, 'utf8')).toBe(`${name} ${rsa.type} ${rsa.base64}\n`);
      // The other type on record is negotiated as well.
      const edOnly = join(dir, 'known_ed25519');
      await writeFile(edOnly, `${name} ${ed25519.type} ${ed25519.base64}\n`);
      expect((await on({ kind: 'known-hosts', path: edOnly }).run(['echo', 'ed'])).stdout).toBe('ed\n');
      // Preferring a type is not trusting it: a wrong RSA key on record is still refused.
      const wrongRsa = join(dir, 'known_wrong_rsa');
      const other = generateKey(join(dir, 'other_rsa'), 'rsa');
      await writeFile(wrongRsa, `${name} ${other.type} ${other.base64}\n`);
      await expect(on({ kind: 'known-hosts', path: wrongRsa }).run(['true'])).rejects.toBeInstanceOf(HostKeyMismatchError);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('logs in on the connection that greeted: one TCP connection from banner probe to command, and sshd saw one accept', async () => {
    const tap = await startTcpTap(lab.host, lab.port);
    try {
      const greeting = await waitForSshGreeting({ host: '127.0.0.1', port: tap.port, timeoutMs: 10_000 });
      expect(greeting.banner).toMatch(/^SSH-2\.0-OpenSSH/);
      const pool = newPool();
      const runner = pool.runner({ ...target, host: '127.0.0.1', port: tap.port, hostKey: { kind: 'fingerprint', sha256: lab.hostKeyFingerprint } });
      runner.adoptConnection(greeting.socket);
      expect((await runner.run(['echo', 'on the greeted connection'])).stdout).toBe('on the greeted connection\n');
      expect(tap.upstreamPorts).toHaveLength(1);
      const [port] = tap.upstreamPorts;
      expect(connectionsFrom(port!)).toBe(1);
      expect(authenticatedFrom(port!)).toBe(1);
      expect(pool.stats.connectionsOpened).toBe(1);
      // Once a connection is up, a socket handed over later is closed, not kept.
      const late = await waitForSshGreeting({ host: '127.0.0.1', port: tap.port, timeoutMs: 10_000 });
      runner.adoptConnection(late.socket);
      expect(late.socket.destroyed).toBe(true);
      await runner.run(['true']);
      expect(pool.stats.connectionsOpened).toBe(1);
    } finally {
      await tap.close();
    }
  });

  it('refuses an unreadable privateKeyPath as bad input naming the field', async () => {
    const missing = join(await mkdtemp(join(tmpdir(), 'provkit-key-')), 'no-such-key');
    const error = await newPool().runner({ ...target, privateKeyPath: missing }).run(['true']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'privateKeyPath', code: 'INVALID_INPUT', isRetryable: false });
    expect((error as Error).message).toContain(missing);
  });

  it('raises typed errors for failed SFTP transfers and leaves no local file for a missing remote one', async () => {
    const runner = newPool().runner(target);
    const dir = await remoteTempDir(runner);
    const local = await mkdtemp(join(tmpdir(), 'provkit-sftp-errors-'));
    await writeFile(join(local, 'small'), 'x');
    const upload = await runner.uploadFile(join(local, 'small'), `${dir}/missing-dir/small`).catch((caught: unknown) => caught);
    expect(upload).toBeInstanceOf(OperationFailedError);
    expect(upload).toMatchObject({ step: 'open', code: 'OPERATION_FAILED' });
    expect((upload as Error).message).toContain(`${dir}/missing-dir/small`);
    const download = await runner.downloadFile(`${dir}/absent`, join(local, 'absent')).catch((caught: unknown) => caught);
    expect(download).toBeInstanceOf(OperationFailedError);
    expect(download).toMatchObject({ step: 'open' });
    expect(existsSync(join(local, 'absent'))).toBe(false);
    // A local file that is not there is refused before anything is created remotely.
    const noLocal = await runner.uploadFile(join(local, 'nope'), `${dir}/nope`).catch((caught: unknown) => caught);
    expect(noLocal).toMatchObject({ field: 'localPath' });
    expect(noLocal).toBeInstanceOf(InvalidInputError);
    expect((await runner.run(sh`test -e ${`${dir}/nope`}`, { check: false })).exitCode).toBe(1);
    await runner.run(['rm', '-rf', '--', dir]);
    await rm(local, { recursive: true, force: true });
  });

  it('bounds SFTP transfers by their timeout and stops them on abort, keeping the connection usable', async () => {
    const runner = newPool().runner(target);
    const dir = await remoteTempDir(runner);
    const local = await mkdtemp(join(tmpdir(), 'provkit-sftp-bounds-'));
    // Large enough that neither transfer can finish before it is stopped (ssh2's SFTP stream
    // moves one 32 KiB write at a time).
    await writeFile(join(local, 'big'), randomBytes(32 * 1024 * 1024));
    const timedOut = await runner.uploadFile(join(local, 'big'), `${dir}/timed-out`, { timeoutMs: 100 }).catch((caught: unknown) => caught);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect(timedOut).toMatchObject({ timeoutMs: 100 });
    expect((timedOut as TimeoutError).awaited).toContain(`${dir}/timed-out`);

    const controller = new AbortController();
    const aborted = runner.uploadFile(join(local, 'big'), `${dir}/aborted`, { signal: controller.signal }).catch((caught: unknown) => caught);
    // Abort once data is arriving on the server.
    await waitFor({
      what: 'the upload to start writing',
      timeoutMs: 20_000,
      poll: async () => ((await runner.run(sh`test -s ${`${dir}/aborted`}`, { check: false })).exitCode === 0 ? { done: true, value: true } : { done: false, state: 'empty' }),
    });
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortedError);
    const size = Number((await runner.run(sh`stat -c %s ${`${dir}/aborted`}`)).stdout);
    expect(size).toBeLessThan(32 * 1024 * 1024);
    // The SFTP session and the connection are still fine.
    await runner.writeFile(`${dir}/after`, 'ok');
    expect((await runner.run(['cat', `${dir}/after`])).stdout).toBe('ok');
    await runner.run(['rm', '-rf', '--', dir]);
    await rm(local, { recursive: true, force: true });
  });

  it('round-trips arbitrary strings through sh -c over SSH byte for byte (property)', async () => {
    const runner = newPool().runner(target);
    const nasty = fc.constantFrom("'", '"', '$(id)', '`id`', '\n', '\r', '\x01', '\x1b', '\x7f', '\\', '$HOME', 'A=1', '*', '!', ';', '&&', '|', '#', ' ', '\t', '~', '%s', '-n', '--');
    // Any code point, not only printable graphemes: 'binary-ascii' hits the control bytes,
    // 'binary' the whole Unicode range (non-ASCII, astral planes).
    const part = fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), nasty);
    const word = fc.array(part, { maxLength: 8 }).map((parts) => parts.join('').replace(/\0/g, ''));
    await fc.assert(
      fc.asyncProperty(word, async (text) => {
        const result = await runner.run(sh`printf %s ${text}`);
        expect(result.stdoutBytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips arbitrary bytes through stdin and stdout, over the persistent shell and over exec channels (property)', async () => {
    for (const remoteCommands of ['persistent-shell', 'exec'] as const) {
      const pool = newPool({ remoteCommands });
      const runner = pool.runner(target);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 20_000 }), fc.constantFrom('cat', 'cat >&2'), async (bytes, command) => {
          const result = await runner.run(command === 'cat' ? ['cat'] : sh`cat >&2`, { stdin: bytes });
          if (command === 'cat') expect(result.stdoutBytes.equals(Buffer.from(bytes))).toBe(true);
          else expect(result.stderr).toBe(Buffer.from(bytes).toString('utf8'));
          expect(result.exitCode).toBe(0);
        }),
        // Exec channels pay the account's login shell per run; fewer runs keep the test short.
        { numRuns: remoteCommands === 'exec' ? 15 : 60 },
      );
      expect(pool.stats.shellsStarted).toBe(remoteCommands === 'exec' ? 0 : 1);
    }
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

describe('persistent remote shell framing against a real sshd', () => {
  /** The PID of the persistent shell a command ran in (the parent of its setsid'd wrapper). */
  const shellOf = async (runner: CommandRunner): Promise<number> => Number((await runner.run(sh`echo $PPID`)).stdout.trim());

  it('keeps stdout and stderr apart, exit codes exact, and output that imitates a marker is only output', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const interleaved = await runner.run(sh`i=0; while [ $i -lt 3000 ]; do echo "out$i"; echo "err$i" >&2; i=$((i + 1)); done`);
    expect(interleaved.stdout).toBe(Array.from({ length: 3000 }, (_, i) => `out${i}\n`).join(''));
    expect(interleaved.stderr).toBe(Array.from({ length: 3000 }, (_, i) => `err${i}\n`).join(''));
    for (const code of [0, 1, 2, 42, 126, 127, 255]) expect((await runner.run(sh`exit ${String(code)}`, { check: false })).exitCode).toBe(code);
    // Another command's end marker, written by this one, does not end it.
    const forged = `pk${'0'.repeat(32)} E 0\n`;
    const result = await runner.run(sh`printf %s ${forged}; printf %s ${forged} >&2; printf tail`);
    expect(result.stdout).toBe(`${forged}tail`);
    expect(result.stderr).toBe(forged);
    expect(pool.stats.shellsStarted).toBe(1);
  });

  it('returns large binary output byte for byte and takes binary stdin without a newline at its end', async () => {
    const runner = newPool().runner(target);
    const payload = randomBytes(5 * 1024 * 1024 + 3);
    const result = await runner.run(sh`cat; printf end`, { stdin: payload });
    expect(result.stdoutBytes.equals(Buffer.concat([payload, Buffer.from('end')]))).toBe(true);
    const random = await runner.run(sh`head -c 4000000 /dev/urandom | tee /dev/stderr | sha256sum >&2; head -c 3000000 /dev/zero`);
    expect(random.stdoutBytes.equals(Buffer.alloc(3_000_000))).toBe(true);
  });

  it('a command that stops reading stdin early leaves the shell in step for the next command', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const shell = await shellOf(runner);
    const partial = await runner.run(sh`head -c 10`, { stdin: randomBytes(3 * 1024 * 1024) });
    expect(partial.stdoutBytes.length).toBe(10);
    expect((await runner.run(['echo', 'next'])).stdout).toBe('next\n');
    expect(await shellOf(runner)).toBe(shell);
    expect(pool.stats.shellsStarted).toBe(1);
  });

  it('a timeout kills the whole process group of the command and the same shell runs the next command', async () => {
    const pool = newPool({ shellsPerConnection: 2 });
    const runner = pool.runner(target);
    const dir = await remoteTempDir(runner);
    const pidFile = `${dir}/pids`;
    const running = runner.run(sh`sleep 600 & echo "$$ $!" >${pidFile}; wait`, { timeoutMs: 2000 }).catch((caught: unknown) => caught);
    const pids = await pidsWrittenTo(runner, pidFile, 20_000);
    expect(await running).toBeInstanceOf(TimeoutError);
    await processesGone(runner, pids, 10_000);
    const shells = pool.stats.shellsStarted;
    // Both shells survive: more commands, concurrently, start no new one.
    const after = await Promise.all([shellOf(runner), shellOf(runner), shellOf(runner)]);
    expect(new Set(after).size).toBeLessThanOrEqual(2);
    expect(pool.stats.shellsStarted).toBe(shells);
    expect(shells).toBeLessThanOrEqual(2);
    await runner.run(['rm', '-rf', '--', dir]);
  });

  it('replaces a shell that was killed, without a new connection', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const first = await shellOf(runner);
    await newPool({ remoteCommands: 'exec' }).runner(target).run(['kill', '-KILL', String(first)]);
    const second = await shellOf(runner);
    expect(second).not.toBe(first);
    expect((await runner.run(['echo', 'fine'])).stdout).toBe('fine\n');
    expect(pool.stats.shellsStarted).toBe(2);
    expect(pool.stats.connectionsOpened).toBe(1);
  });

  it('a command that kills its own shell fails with ConnectionError and the next command gets a new shell', async () => {
    const pool = newPool();
    const runner = pool.runner(target);
    const error = await runner.run(sh`kill -KILL $PPID; sleep 5`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((await runner.run(['echo', 'again'])).stdout).toBe('again\n');
    expect(pool.stats.shellsStarted).toBe(2);
  });

  it('runs concurrent commands on a bounded set of shells over one connection', async () => {
    const pool = newPool({ shellsPerConnection: 3 });
    const runner = pool.runner(target);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => runner.run(sh`sleep 0.2; echo ${String(i)} $PPID`)));
    const shells = new Set(results.map((result) => result.stdout.trim().split(' ')[1]));
    expect(results.map((result) => result.stdout.split(' ')[0])).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(shells.size).toBeLessThanOrEqual(3);
    expect(pool.stats.shellsStarted).toBe(shells.size);
    expect(pool.stats.connectionsOpened).toBe(1);
  });
});
