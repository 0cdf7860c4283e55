import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { AbortedError, ResourceBusyError, sh, throwIfAborted } from '@provkit/core';
import type { CommandResult, CommandRunner } from '@provkit/runners';

/** How a lock is taken: many shared holders at once, or one exclusive holder. */
export type HostLockMode = 'shared' | 'exclusive';

/** Options of {@link HostLocks.acquire}. */
export interface HostLockOptions {
  mode: HostLockMode;
  /** Bound on the wait for the lock; past it the acquire fails with `ResourceBusyError`. */
  waitMs: number;
  /** What is locked, for messages (`node web-1`, `image centos-v3`). */
  what: string;
  signal?: AbortSignal | undefined;
}

/** A held host lock: {@link HostLock.release} lets go of it (idempotent). */
export interface HostLock {
  readonly path: string;
  /**
   * True when the holder ended before {@link HostLock.release} (its channel or connection was
   * lost): from then on another operation may have taken the lock.
   */
  readonly lost: boolean;
  release(): Promise<void>;
}

/** Slack past the flock bound for the channel that learns the outcome (connection set-up, a slow host). */
const OUTCOME_SLACK_MS = 30_000;
/** The holder's exit code when flock gave up (it also says so through the FIFO). */
const BUSY_EXIT = 75;
/** Bound on the holder's exit after its stdin was closed. */
const RELEASE_TIMEOUT_MS = 15_000;

/**
 * Locks on the KVM host itself, where several orchestrators meet: `flock(1)` on a lock file,
 * held by a remote process that lives exactly as long as our command channel. The holder reads
 * its standard input until EOF (`cat`); releasing closes that input, and when the orchestrator
 * process or its connection dies sshd closes it too, so the kernel drops the lock without anyone
 * having to clean up. Lock files are never deleted: removing one while another process may be
 * opening it would let two holders lock two different files of the same name.
 *
 * The holder reports the outcome of its bounded `flock -w` through a FIFO that a second command
 * reads (our runners return output only when a command ends, and the holder must not end).
 */
export class HostLocks {
  readonly runner: CommandRunner;

  constructor(runner: CommandRunner) {
    this.runner = runner;
  }

  /** Takes the lock at `path` (its directory is created), waiting at most `options.waitMs`. */
  async acquire(path: string, options: HostLockOptions): Promise<HostLock> {
    throwIfAborted(options.signal, `lock on ${options.what}`);
    const directory = path.slice(0, path.lastIndexOf('/'));
    const fifo = `${path}.${randomBytes(6).toString('hex')}.fifo`;
    const seconds = Math.max(1, Math.ceil(options.waitMs / 1000));
    const flag = options.mode === 'shared' ? '-s' : '-x';
    await this.runner.run(sh`mkdir -p -- ${directory} && mkfifo -m 600 -- ${fifo}`, withSignal(options.signal, { timeoutMs: OUTCOME_SLACK_MS }));

    const input = new PassThrough();
    const holderStop = new AbortController();
    // fd 9 stays open in `cat` (exec keeps it): the lock lives while cat reads our input.
    const holder = this.runner
      .run(sh`exec 9>>${path}; if flock ${flag} -w ${String(seconds)} 9; then echo ok >${fifo}; exec cat >/dev/null; else echo busy >${fifo}; exit ${String(BUSY_EXIT)}; fi`, { stdin: input, timeoutMs: 0, check: false, signal: holderStop.signal })
      .then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
    const stopHolder = async (): Promise<void> => {
      input.end();
      holderStop.abort();
      await holder;
      await this.runner.run(sh`rm -f -- ${fifo}`, { timeoutMs: RELEASE_TIMEOUT_MS, check: false }).catch(() => undefined);
    };

    const readerStop = new AbortController();
    const readerSignal = options.signal ? AbortSignal.any([options.signal, readerStop.signal]) : readerStop.signal;
    let outcome: string;
    try {
      const read = this.runner.run(sh`cat -- ${fifo}; rm -f -- ${fifo}`, { signal: readerSignal, timeoutMs: options.waitMs + OUTCOME_SLACK_MS });
      // A holder that ends before reporting (its channel failed) would leave the reader blocked on the FIFO.
      const early = holder.then((ended) => {
        readerStop.abort();
        return ended;
      });
      const first = await Promise.race([read.then((result: CommandResult) => ({ read: result })), early.then((ended) => ({ ended }))]);
      if ('ended' in first) {
        await read.catch(() => undefined);
        if ('error' in first.ended) throw first.ended.error;
        if (first.ended.result.exitCode === BUSY_EXIT) throw new ResourceBusyError(options.what, options.waitMs);
        throw new AbortedError(`lock on ${options.what}`, { cause: new Error(`the lock holder exited ${first.ended.result.exitCode} before reporting: ${first.ended.result.stderr.trim()}`) });
      }
      outcome = first.read.stdout.trim();
    } catch (error) {
      await stopHolder();
      throw error;
    }
    if (outcome !== 'ok') {
      await stopHolder();
      throw new ResourceBusyError(options.what, options.waitMs);
    }
    let released: Promise<void> | undefined;
    let ended = false;
    void holder.then(() => {
      ended = true;
    });
    return {
      path,
      get lost() {
        return ended && released === undefined;
      },
      release: () => {
        released ??= (async () => {
          input.end();
          const timer = setTimeout(() => holderStop.abort(), RELEASE_TIMEOUT_MS);
          await holder;
          clearTimeout(timer);
        })();
        return released;
      },
    };
  }

  /**
   * Whether nobody holds the lock at `path` right now (a missing lock file is free). Used to
   * tell an interrupted operation's record (its lock is gone with its process) from a live one.
   */
  async isFree(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<boolean> {
    const result = await this.runner.run(sh`test ! -e ${path} || flock -n -x ${path} true`, withSignal(options.signal, { check: false, timeoutMs: OUTCOME_SLACK_MS }));
    return result.exitCode === 0;
  }

  /**
   * Runs `task` with the lock at `path` held, releasing it however `task` ends; `onLost` is
   * told when the lock turns out to have been lost on the way (connection lost meanwhile).
   */
  async run<T>(path: string, options: HostLockOptions & { onLost?: (what: string) => void }, task: () => Promise<T>): Promise<T> {
    const lock = await this.acquire(path, options);
    try {
      return await task();
    } finally {
      if (lock.lost) options.onLost?.(options.what);
      await lock.release();
    }
  }
}

function withSignal<T extends object>(signal: AbortSignal | undefined, options: T): T & { signal?: AbortSignal } {
  return signal ? { ...options, signal } : options;
}
