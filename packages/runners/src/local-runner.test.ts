import { execFileSync } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortedError, CommandFailedError, TimeoutError, type CommandEvent, Secret, sh, waitFor } from '@provkit/core';
import { LocalRunner } from './local-runner.ts';

/** True while `pid` runs; a zombie (killed, not yet reaped) runs nothing and does not count. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('LocalRunner', () => {
  it('runs argv commands with stdin and reports exit codes and command events', async () => {
    const runner = new LocalRunner();
    const events: CommandEvent[] = [];
    runner.events.on('command', (event) => events.push(event));
    expect((await runner.run(['cat'], { stdin: 'a b\n' })).stdout).toBe('a b\n');
    const failed = await runner.run(sh`echo oops >&2; exit 5`).catch((caught: unknown) => caught);
    expect(failed).toBeInstanceOf(CommandFailedError);
    expect(failed).toMatchObject({ exitCode: 5, stderrTail: 'oops' });
    expect(events.map((event) => [event.command, event.exitCode])).toEqual([
      ['cat', 0],
      ['echo oops >&2; exit 5', 5],
    ]);
  });

  it('redacts outputSecrets from quoted output only, so the command line tells nothing about them', async () => {
    // A secret equal to a word of the public command: redacting it there would reveal it.
    const secret = Secret.of('chpasswd');
    const runner = new LocalRunner();
    const events: CommandEvent[] = [];
    runner.events.on('command', (event) => events.push(event));
    const failed = await runner.run(sh`: chpasswd; cat >&2; exit 3`, { stdin: 'chpasswd\n', outputSecrets: [secret] }).catch((caught: unknown) => caught);
    expect(failed).toBeInstanceOf(CommandFailedError);
    expect(failed).toMatchObject({ command: ': chpasswd; cat >&2; exit 3', stderrTail: '[redacted]' });
    expect(events.map((event) => event.command)).toEqual([': chpasswd; cat >&2; exit 3']);
  });

  it('kills the whole process group on timeout', async () => {
    const runner = new LocalRunner();
    const pidFile = join(await mkdtemp(join(tmpdir(), 'provkit-local-')), 'pids');
    // The shell and its background child write their PIDs; the kill must reach both.
    const running = runner.run(sh`sleep 300 & echo "$$ $!" >${pidFile}; wait`, { timeoutMs: 2000 }).catch((caught: unknown) => caught);
    const pids = await waitFor({
      what: `PIDs in ${pidFile}`,
      timeoutMs: 10_000,
      poll: async () => {
        const text = await readFile(pidFile, 'utf8').catch(() => '');
        return /^\d+ \d+\n$/.test(text) ? { done: true, value: text.trim().split(' ').map(Number) } : { done: false, state: JSON.stringify(text) };
      },
    });
    expect(await running).toBeInstanceOf(TimeoutError);
    // SIGKILL lands asynchronously and a killed process is gone once reaped: a bounded wait.
    await waitFor({
      what: `processes ${pids.join(', ')} to be gone`,
      timeoutMs: 10_000,
      poll: async () => {
        const alive = pids.filter(isRunning);
        return alive.length === 0 ? { done: true, value: undefined } : { done: false, state: `still running: ${alive.join(', ')}` };
      },
    });
  });

  it('bounds file copies by their timeout and signal, and keeps modes', async () => {
    const runner = new LocalRunner();
    const dir = await mkdtemp(join(tmpdir(), 'provkit-local-copy-'));
    await runner.writeFile(join(dir, 'script'), '#!/bin/sh\n', { mode: 0o700 });
    await runner.uploadFile(join(dir, 'script'), join(dir, 'copy'));
    expect((await stat(join(dir, 'copy'))).mode & 0o777).toBe(0o700);
    await expect(runner.uploadFile(join(dir, 'script'), join(dir, 'never'), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    // A source that never ends stands for a copy too slow for its deadline.
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const opener = await open(fifo, constants.O_RDWR);
    try {
      const error = await runner.uploadFile(fifo, join(dir, 'slow'), { timeoutMs: 100 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ timeoutMs: 100, lastState: '0 bytes written' });
    } finally {
      await opener.close();
    }
  });

  it('redacts a secret passed on stdin from the failure it causes', async () => {
    const secret = Secret.of('s3cr3t-value');
    const error = await new LocalRunner().run(sh`read -r x; echo "bad $x" >&2; exit 1`, { stdin: secret }).catch((caught: unknown) => caught);
    expect(String((error as Error).message)).not.toContain('s3cr3t-value');
    expect((error as CommandFailedError).stderrTail).toBe('bad [redacted]');
  });
});
