import { Readable, type Writable } from 'node:stream';
import { AbortedError, CommandFailedError, ProvkitError, TimeoutError, type ProvkitEmitter, redact, Secret } from '@provkit/core';
import type { CommandResult, RunOptions } from './command-runner.ts';
import { tail } from './render-command.ts';

/** A started process, local or remote, as {@link execute} drives it. */
export interface ProcessHandle {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable;
  /** Resolves with the exit code (or `null` and a signal name) once the process ended. */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** Ends the process at once (SIGKILL, channel close). */
  kill(): void;
}

/** What {@link execute} needs to know about one command. */
export interface ExecutionContext {
  target: string;
  /** The command line, secrets already redacted. */
  display: string;
  events: ProvkitEmitter;
  defaultTimeoutMs: number;
  /** Values to redact from output quoted in errors. */
  secrets: readonly Secret[];
  /**
   * How long a stopped command (timeout, abort, output cap) may take to report its end after
   * the kill before the caller is answered anyway (default {@link DEFAULT_KILL_GRACE_MS}).
   */
  killGraceMs?: number;
  /**
   * Called when a stopped command did not end within `killGraceMs` of its kill, or a stopped
   * start did not settle within it: the transport is presumed dead (a frozen peer). The SSH
   * runner closes the connection there, so the next command reconnects.
   */
  onUnresponsive?: () => void;
}

/** Default of {@link ExecutionContext.killGraceMs}. */
export const DEFAULT_KILL_GRACE_MS = 5000;

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Feeds stdin, collects output, enforces timeout / abort / output cap, emits the `command`
 * event and turns the outcome into a result or a typed error. Shared by every runner, so
 * local and SSH commands behave the same.
 */
export async function execute(
  start: () => Promise<ProcessHandle>,
  context: ExecutionContext,
  options: RunOptions,
): Promise<CommandResult> {
  const started = Date.now();
  // A secret fed to stdin, and any the caller says the command may echo, is redacted from
  // quoted output (never from the command line, which does not contain it).
  const echoed = [...(Secret.isSecret(options.stdin) ? [options.stdin] : []), ...(options.outputSecrets ?? [])];
  if (echoed.length > 0) context = { ...context, secrets: [...context.secrets, ...echoed] };
  const timeoutMs = options.timeoutMs ?? context.defaultTimeoutMs;
  const killGraceMs = context.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const emit = (exitCode: number | null, error?: string): void => {
    const event = { target: context.target, command: context.display, exitCode, durationMs: Date.now() - started };
    context.events.emit('command', error === undefined ? event : { ...event, error });
  };
  if (options.signal?.aborted) {
    emit(null, 'aborted');
    throw new AbortedError(`command on ${context.target}: ${context.display}`, { cause: options.signal.reason });
  }

  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  let ended: EndReason | undefined;
  let handle: ProcessHandle | undefined;
  let interruptStart: (() => void) | undefined;
  // Settles the wait for a stopped command that does not report its end (a frozen peer): the
  // caller is answered within killGraceMs of the kill whatever the other side does.
  let giveUp!: (error: unknown) => void;
  const unanswered = new Promise<never>((_, reject) => (giveUp = reject));
  unanswered.catch(() => {});
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (why: EndReason): void => {
    if (ended) return;
    ended = why;
    if (!handle) return interruptStart?.();
    graceTimer = setTimeout(() => {
      context.onUnresponsive?.();
      giveUp(unconfirmed);
    }, killGraceMs);
    handle.kill();
  };
  // The deadline and the signal cover opening the channel too: a connection that stalls there
  // must not hold the caller past either.
  const timer = timeoutMs > 0 ? setTimeout(() => stop('timeout'), timeoutMs) : undefined;
  const onAbort = (): void => stop('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const cleanUp = (): void => {
    if (timer) clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    options.signal?.removeEventListener('abort', onAbort);
  };

  try {
    handle = await new Promise<ProcessHandle>((resolve, reject) => {
      let startSettled = false;
      interruptStart = () => {
        reject(interrupted);
        // A start that does not settle even after the caller left (a frozen peer) marks the
        // transport dead, so the next command does not queue behind it.
        setTimeout(() => {
          if (!startSettled) context.onUnresponsive?.();
        }, killGraceMs).unref();
      };
      start().then(
        (opened) => {
          startSettled = true;
          // Stopped while the process was starting: nobody will read it, so end it here.
          if (ended) discard(opened);
          else resolve(opened);
        },
        (error: unknown) => {
          startSettled = true;
          reject(error);
        },
      );
    });
  } catch (error) {
    cleanUp();
    if (ended) {
      emit(null, ended);
      throw endedError(ended, context, timeoutMs, maxOutput, options, error === interrupted ? undefined : error, 'not started');
    }
    emit(null, error instanceof Error ? error.message : String(error));
    throw error;
  }
  // Captured for the closures below, which TypeScript cannot see run after the assignment.
  const running = handle;

  running.stdout.on('data', (chunk: Buffer) => {
    outBytes += chunk.length;
    if (outBytes > maxOutput) stop('overflow');
    else stdout.push(chunk);
  });
  running.stderr.on('data', (chunk: Buffer) => {
    errBytes += chunk.length;
    if (errBytes > maxOutput) stop('overflow');
    else stderr.push(chunk);
  });
  const drained = Promise.all([streamEnd(running.stdout), streamEnd(running.stderr)]);
  feedStdin(running.stdin, options.stdin);

  let exit: { exitCode: number | null; signal: string | null };
  try {
    exit = await Promise.race([running.exited, unanswered]);
    await Promise.race([drained, unanswered]);
  } catch (error) {
    if (error === unconfirmed) {
      // Whatever the process still reports is no longer awaited.
      running.exited.catch(() => {});
      emit(null, ended ?? 'unresponsive');
      throw endedError(ended ?? 'timeout', context, timeoutMs, maxOutput, options, undefined, `not confirmed killed: no answer within ${killGraceMs} ms of the kill, so the connection was given up`);
    }
    emit(null, error instanceof Error ? error.message : String(error));
    if (ended) throw endedError(ended, context, timeoutMs, maxOutput, options, error, 'not confirmed killed: the channel closed before the command reported its end');
    throw error;
  } finally {
    cleanUp();
  }

  if (ended) {
    emit(exit.exitCode, ended);
    throw endedError(ended, context, timeoutMs, maxOutput, options, undefined, 'killed');
  }
  const stdoutBytes = Buffer.concat(stdout);
  const result: CommandResult = {
    command: context.display,
    exitCode: exit.exitCode ?? -1,
    stdout: stdoutBytes.toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    stdoutBytes,
    durationMs: Date.now() - started,
  };
  emit(exit.exitCode);
  if ((options.check ?? true) && exit.exitCode !== 0) {
    throw new CommandFailedError({
      command: context.display,
      target: context.target,
      exitCode: exit.exitCode,
      signal: exit.signal,
      stderrTail: redact(tail(result.stderr), context.secrets),
    });
  }
  return result;
}

type EndReason = 'timeout' | 'abort' | 'overflow';

/** Rejection of a start that {@link execute} stopped waiting for (timeout or abort). */
const interrupted = Symbol('interrupted');

/** Rejection of the wait for a stopped command that did not report its end within the grace. */
const unconfirmed = Symbol('unconfirmed');

function endedError(
  why: EndReason,
  context: ExecutionContext,
  timeoutMs: number,
  maxOutput: number,
  options: RunOptions,
  cause: unknown,
  state: string,
): ProvkitError {
  const what = `command on ${context.target}: ${context.display}`;
  if (why === 'timeout') return new TimeoutError(what, timeoutMs, state, { cause });
  if (why === 'abort') return new AbortedError(`${what} (${state})`, { cause: options.signal?.reason ?? cause });
  return new CommandFailedError({
    command: context.display,
    target: context.target,
    exitCode: null,
    signal: 'KILL',
    stderrTail: `output exceeded ${maxOutput} bytes (${state})`,
  });
}

/** Ends a process that started after its caller gave up, without leaving a rejection unheard. */
function discard(handle: ProcessHandle): void {
  handle.exited.catch(() => {});
  handle.stdin.on('error', () => {});
  handle.stdin.end();
  handle.stdout.resume();
  handle.stderr.resume();
  handle.kill();
}

function streamEnd(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

function feedStdin(stdin: Writable, input: RunOptions['stdin']): void {
  // A command that exits without reading its input closes the pipe; that is not an error.
  stdin.on('error', () => {});
  if (input === undefined) return void stdin.end();
  if (input instanceof Readable) return void input.pipe(stdin);
  const data = Secret.isSecret(input) ? input.reveal() : input;
  stdin.end(data);
}
