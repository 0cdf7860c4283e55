import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CommandFailedError, TimeoutError } from '../errors/index.ts';
import type { CommandEvent } from '../events/index.ts';
import { Secret } from '../secret/index.ts';
import { sh } from '../shell/index.ts';
import { LocalRunner } from './local-runner.ts';

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

  it('kills the whole process group on timeout', async () => {
    const runner = new LocalRunner();
    const marker = `provkit-local-${process.pid}-${Date.now()}`;
    const error = await runner.run(sh`sleep 300 & sleep 301; echo ${marker}`, { timeoutMs: 200 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    const left = execFileSync('/bin/sh', ['-c', `pgrep -f '[s]leep 30[01]; echo ${marker}' || true`]).toString();
    expect(left.trim()).toBe('');
  });

  it('redacts a secret passed on stdin from the failure it causes', async () => {
    const secret = Secret.of('s3cr3t-value');
    const error = await new LocalRunner().run(sh`read -r x; echo "bad $x" >&2; exit 1`, { stdin: secret }).catch((caught: unknown) => caught);
    expect(String((error as Error).message)).not.toContain('s3cr3t-value');
    expect((error as CommandFailedError).stderrTail).toBe('bad [redacted]');
  });
});
