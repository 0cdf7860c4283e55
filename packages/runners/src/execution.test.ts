import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError, createEmitter, type CommandEvent } from '@provkit/core';
import { execute, type ExecutionContext, type ProcessHandle } from './execution.ts';

/** A process that runs until killed, and records whether it was. */
function foreverProcess(): ProcessHandle & { killed: () => boolean; whenKilled: Promise<void> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let killed = false;
  let markKilled!: () => void;
  const whenKilled = new Promise<void>((resolve) => (markKilled = resolve));
  let exit!: (status: { exitCode: number | null; signal: string | null }) => void;
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => (exit = resolve));
  return {
    stdout,
    stderr,
    stdin: new PassThrough(),
    exited,
    kill: () => {
      killed = true;
      markKilled();
      stdout.end();
      stderr.end();
      exit({ exitCode: null, signal: 'KILL' });
    },
    killed: () => killed,
    whenKilled,
  };
}

/** A start whose channel opens only when the test says so, like an SSH exec request in flight. */
function gatedStart(): { start: () => Promise<ProcessHandle>; open: () => ReturnType<typeof foreverProcess>; requested: Promise<void> } {
  let resolveStart!: (handle: ProcessHandle) => void;
  let markRequested!: () => void;
  const requested = new Promise<void>((resolve) => (markRequested = resolve));
  const process = foreverProcess();
  return {
    start: () => {
      markRequested();
      return new Promise((resolve) => (resolveStart = resolve));
    },
    open: () => {
      resolveStart(process);
      return process;
    },
    requested,
  };
}

function context(events = createEmitter()): ExecutionContext {
  return { target: 'test', display: 'sleep 600', events, defaultTimeoutMs: 600_000, secrets: [] };
}

describe('execute', () => {
  it('honours an abort that fires while the process is starting, and ends the late process', async () => {
    const events = createEmitter();
    const seen: CommandEvent[] = [];
    events.on('command', (event) => seen.push(event));
    const gate = gatedStart();
    const controller = new AbortController();
    const running = execute(gate.start, context(events), { signal: controller.signal }).catch((caught: unknown) => caught);
    await gate.requested;
    controller.abort();
    // Rejected before the channel opened: the caller is not held by a slow start.
    expect(await running).toBeInstanceOf(AbortedError);
    expect(seen).toMatchObject([{ exitCode: null, error: 'abort' }]);
    // The process that opened after the abort is killed, not left running (bounded by the
    // test timeout if it never is).
    await gate.open().whenKilled;
  });

  it('applies the timeout while the process is starting', async () => {
    const gate = gatedStart();
    const error = await execute(gate.start, context(), { timeoutMs: 30 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ lastState: 'not started', timeoutMs: 30 });
  });

  it('kills a running process on abort', async () => {
    const process = foreverProcess();
    const controller = new AbortController();
    const running = execute(async () => process, context(), { signal: controller.signal }).catch((caught: unknown) => caught);
    // execute() ends stdin once it drives the process (no input given): it is running now.
    await once(process.stdin, 'finish');
    controller.abort();
    expect(await running).toBeInstanceOf(AbortedError);
    expect(process.killed()).toBe(true);
  });

  it('answers a timed-out command whose kill is never acknowledged (a frozen peer) within the kill grace, and gives up the transport', async () => {
    // Like a command on a stopped sshd: kill() is requested, the process never reports its end.
    let killRequested = false;
    const frozen: ProcessHandle = {
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      exited: new Promise(() => {}),
      kill: () => {
        killRequested = true;
      },
    };
    let unresponsive = 0;
    const error = await execute(async () => frozen, { ...context(), killGraceMs: 50, onUnresponsive: () => unresponsive++ }, { timeoutMs: 30 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 30, lastState: expect.stringContaining('not confirmed killed') });
    expect(killRequested).toBe(true);
    expect(unresponsive).toBe(1);
  });

  it('says the process was killed when the kill is acknowledged', async () => {
    const process = foreverProcess();
    let unresponsive = 0;
    const error = await execute(async () => process, { ...context(), killGraceMs: 60_000, onUnresponsive: () => unresponsive++ }, { timeoutMs: 30 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ lastState: 'killed' });
    expect(unresponsive).toBe(0);
    const controller = new AbortController();
    const aborted = execute(async () => foreverProcess(), context(), { signal: controller.signal }).catch((caught: unknown) => caught);
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortedError);
  });
});
