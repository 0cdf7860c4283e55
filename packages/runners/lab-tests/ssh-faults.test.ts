/**
 * Faults of the peer and of the orchestrator against the lab's real sshd: a peer that stops
 * answering (its serving sshd process SIGSTOPped), an orchestrator process SIGKILLed, a
 * connection lost under a running command. Only the sshd processes serving this file's own
 * connections are stopped, and always continued again: the server is shared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLabService, type SshdLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, ConnectionError, TimeoutError, sh, type ShellFragment } from '@provkit/core';
import { SshPool, type CommandRunner, type SshTarget } from '@provkit/runners';
import { pidsWrittenTo, processesGone } from './test-support/remote-processes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const modes = ['persistent-shell', 'exec'] as const;

let lab: SshdLabState;
let target: SshTarget;
let listenerPid: number;
const pools: SshPool[] = [];
const stopped = new Set<number>();

function newPool(options: ConstructorParameters<typeof SshPool>[0] = {}): SshPool {
  const pool = new SshPool(options);
  pools.push(pool);
  return pool;
}

beforeAll(async () => {
  lab = await ensureLabService<SshdLabState>('sshd');
  target = { host: lab.host, port: lab.port, username: lab.username, privateKeyPath: lab.privateKeyPath, hostKey: { kind: 'known-hosts', path: lab.knownHostsPath } };
  listenerPid = Number(readFileSync(lab.pidPath, 'utf8').trim());
});

afterAll(async () => {
  continueAll();
  await Promise.all(pools.map((pool) => pool.close()));
});

/** The PIDs from a command's shell up to the child of the sshd listener, as a command on `runner` sees them. */
async function ancestry(runner: CommandRunner): Promise<number[]> {
  const { stdout } = await runner.run(
    sh`pid=$$; while [ "$pid" -gt 1 ]; do echo "$pid"; parent=$(ps -o ppid= -p "$pid" | tr -d ' '); [ "$parent" = ${String(listenerPid)} ] && exit 0; pid=$parent; done; exit 1`,
  );
  return stdout.trim().split('\n').map(Number);
}

/**
 * The sshd processes (this machine's: the lab sshd is local) among `chain`: those serving one
 * connection. The command that reported the chain has ended, so its own PID is skipped.
 */
function sshdProcesses(chain: readonly number[]): number[] {
  const serving = chain.filter((pid) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd');
  expect(serving.length).toBeGreaterThan(0);
  return serving;
}

/** Freezes the peer of one connection: its serving sshd processes stop (SIGSTOP) until {@link continueAll}. */
function freeze(pids: readonly number[]): void {
  for (const pid of pids) {
    process.kill(pid, 'SIGSTOP');
    stopped.add(pid);
  }
}

function continueAll(): void {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Already gone.
    }
  }
  stopped.clear();
}

/** A long command that writes its shell's PID and its background child's to `pidFile`, then waits. */
function longCommand(pidFile: string): ShellFragment {
  return sh`sleep 300 & echo "$$ $!" >${pidFile}; wait`;
}

/** Starts the fault-test orchestrator process (test-support/pool-child.ts) with `orders`. */
function startChild(orders: Record<string, unknown>): { child: ChildProcess; lines: AsyncIterator<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=provkit-source', join(here, 'test-support', 'pool-child.ts'), JSON.stringify(orders)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  async function* read(): AsyncGenerator<string> {
    let buffered = '';
    for await (const chunk of child.stdout!) {
      buffered += String(chunk);
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        yield buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
      }
    }
  }
  return { child, lines: read(), exited };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const next = await lines.next();
  if (next.done) throw new Error('the child process ended before it said what it did');
  return next.value;
}

describe('a peer that stops answering', () => {
  for (const remoteCommands of modes) {
    it(`settles a timed-out command within the kill grace, says the process is not confirmed killed, and reconnects (${remoteCommands})`, async () => {
      const killGraceMs = 2000;
      const timeoutMs = 3000;
      const pool = newPool({ remoteCommands, killGraceMs });
      const runner = pool.runner(target);
      // Another connection, for looking at the host while this one is frozen.
      const observer = newPool({ remoteCommands: 'exec' }).runner(target);
      const dir = (await observer.run(['mktemp', '-d'])).stdout.trim();
      const serving = sshdProcesses(await ancestry(runner));
      const started = Date.now();
      const running = runner.run(longCommand(`${dir}/pids`), { timeoutMs }).catch((caught: unknown) => caught);
      const pids = await pidsWrittenTo(observer, `${dir}/pids`, 30_000);
      try {
        freeze(serving);
        const error = await running;
        const settledAfterMs = Date.now() - started;
        expect(error).toBeInstanceOf(TimeoutError);
        expect(error).toMatchObject({ timeoutMs, lastState: expect.stringContaining('not confirmed killed') });
        // The bound under test: the deadline plus the grace (and slack for a loaded machine),
        // not the keepalive's minute.
        expect(settledAfterMs).toBeLessThan(timeoutMs + killGraceMs + 5000);
        // The next command does not wait on the frozen connection: it gets a new one.
        expect((await runner.run(['echo', 'fresh'])).stdout).toBe('fresh\n');
        expect(pool.stats.connectionsOpened).toBe(2);
      } finally {
        continueAll();
      }
      // Once the peer runs again it sees the connection gone, and the command dies with it.
      await processesGone(observer, pids, 30_000);
      await observer.run(['rm', '-rf', '--', dir]);
    });
  }

  it('an abort settles the same way', async () => {
    const pool = newPool({ killGraceMs: 2000 });
    const runner = pool.runner(target);
    const observer = newPool({ remoteCommands: 'exec' }).runner(target);
    const dir = (await observer.run(['mktemp', '-d'])).stdout.trim();
    const serving = sshdProcesses(await ancestry(runner));
    const controller = new AbortController();
    const running = runner.run(longCommand(`${dir}/pids`), { signal: controller.signal }).catch((caught: unknown) => caught);
    const pids = await pidsWrittenTo(observer, `${dir}/pids`, 30_000);
    try {
      freeze(serving);
      controller.abort();
      const error = await running;
      expect(error).toBeInstanceOf(AbortedError);
      expect((error as Error).message).toContain('not confirmed killed');
    } finally {
      continueAll();
    }
    await processesGone(observer, pids, 30_000);
    await observer.run(['rm', '-rf', '--', dir]);
  });

  for (const remoteCommands of modes) {
    it(`SshPool.close() lets a process with a connection to a frozen peer exit (${remoteCommands})`, async () => {
      const { child, lines, exited } = startChild({ target, remoteCommands, mode: 'close', listenerPid });
      try {
        const { chain } = JSON.parse(await nextLine(lines)) as { chain: number[] };
        freeze(sshdProcesses(chain));
        child.kill('SIGUSR2');
        expect(await nextLine(lines)).toBe('closed');
        // A failure guard only (the close takes about 2 s): on failure the pool held the process.
        const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000).unref())]);
        expect(code).toBe(0);
      } finally {
        continueAll();
        child.kill('SIGKILL');
      }
    });
  }
});

describe('remote processes die with their operation', () => {
  for (const remoteCommands of modes) {
    it(`kills the remote command when the orchestrator process is SIGKILLed (${remoteCommands})`, async () => {
      const observer = newPool({ remoteCommands: 'exec' }).runner(target);
      const dir = (await observer.run(['mktemp', '-d'])).stdout.trim();
      const { child, lines, exited } = startChild({ target, remoteCommands, mode: 'hold', pidFile: `${dir}/pids` });
      try {
        expect(await nextLine(lines)).toBe('running');
        const pids = await pidsWrittenTo(observer, `${dir}/pids`, 30_000);
        child.kill('SIGKILL');
        await exited;
        await processesGone(observer, pids, 30_000);
      } finally {
        child.kill('SIGKILL');
      }
      await observer.run(['rm', '-rf', '--', dir]);
    });

    it(`kills the remote command when its connection is lost under it (${remoteCommands})`, async () => {
      const runner = newPool({ remoteCommands }).runner(target);
      const observer = newPool({ remoteCommands: 'exec' }).runner(target);
      const dir = (await observer.run(['mktemp', '-d'])).stdout.trim();
      const running = runner.run(longCommand(`${dir}/pids`)).catch((caught: unknown) => caught);
      const pids = await pidsWrittenTo(observer, `${dir}/pids`, 30_000);
      runner.disconnect();
      expect(await running).toBeInstanceOf(ConnectionError);
      await processesGone(observer, pids, 30_000);
      // The runner reconnects for the next command.
      expect((await runner.run(['echo', 'again'])).stdout).toBe('again\n');
      await observer.run(['rm', '-rf', '--', dir]);
    });
  }
});
