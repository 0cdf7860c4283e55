import { randomBytes } from 'node:crypto';
import { ResourceBusyError, sh, throwIfAborted, UnexpectedOutputError, type ShellFragment } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { isCommandFailure } from './translation/host-failure.ts';

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
  /** The remote process holding it. */
  readonly holderPid: number;
  /**
   * Lets go of the lock. Resolves `false` when the holder was already gone (our connection was
   * lost meanwhile, and with it the lock: another operation may have taken it).
   */
  release(): Promise<boolean>;
  /**
   * Runs `command` on the host while the lock is still held and, only when it succeeds, lets go
   * of the lock in the same command: one round trip where `release()` after a command of its
   * own takes two. `ran` is whether `command` succeeded; when it did not, the lock is still
   * held (call `release()` when done with it) and `stderr` says why.
   */
  releaseAfter(command: ShellFragment): Promise<{ ran: boolean; held: boolean; stderr: string }>;
}

/** Options of {@link HostLocks.commandLock}. */
export interface CommandLockOptions {
  mode: HostLockMode;
  /** Bound on the wait for the lock; past it the command exits, and {@link HostLocks.busyError} says so. */
  waitMs: number;
}

/** Slack past the flock bound for the acquiring command (connection set-up, a slow host). */
const COMMAND_SLACK_MS = 30_000;
/** The acquiring command's exit code when flock gave up. */
const BUSY_EXIT = 75;
/** What a command that started with {@link HostLocks.commandLock} prints on stderr when flock gave up. */
const BUSY_MARKER = 'provkit: host lock busy';
/** Bound on the release command (it also runs after an abort). */
const RELEASE_TIMEOUT_MS = 30_000;

/**
 * Locks on the KVM host itself, where several orchestrators meet: `flock(1)` on a lock file.
 * The acquiring command takes the lock on a descriptor, then hands that descriptor to a small
 * detached process (`tail --pid`) that lives exactly as long as our SSH connection — the
 * connection's own sshd process — and exits. When the orchestrator process dies or its
 * connection is lost, that sshd process ends, the holder follows within a second and the kernel
 * drops the lock; nobody has to clean up. Releasing kills the holder (after checking, through
 * /proc, that the pid still holds this very lock file). No SSH channel stays open while a lock
 * is held, so held locks never starve the connection of channels for the operation's commands.
 * With a local runner (no sshd in between) the holder lives as long as the orchestrator process.
 *
 * Lock files are never deleted: removing one while another process may be opening it would let
 * two holders lock two different files of the same name.
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
    const seconds = String(Math.max(1, Math.ceil(options.waitMs / 1000)));
    const flag = options.mode === 'shared' ? '-s' : '-x';
    // Over SSH the first sshd ancestor is the process serving our connection; with the local
    // runner the orchestrator itself, the parent of this shell (never a login's sshd above it).
    const walk = this.runner.target === 'local' ? 'no' : 'yes';
    // Names the holder in its environment, so a take that was stopped midway can find it.
    const token = randomBytes(8).toString('hex');
    const result = await this.runner.run(
      // The directory is there but for the first lock: test(1) is a builtin, mkdir a fork and exec.
      sh`{ [ -d ${directory} ] || mkdir -p -- ${directory}; } && exec 9>>${path} || exit 1
flock ${flag} -w ${seconds} 9 || exit ${String(BUSY_EXIT)}
owner=$PPID; p=$$; walk=${walk}
while [ "$walk" = yes ] && [ "$p" -gt 1 ]; do
  case "$(cat /proc/$p/comm 2>/dev/null)" in sshd|sshd-session) owner=$p; break ;; esac
  p=$(awk '/^PPid:/ { print $2 }' /proc/$p/status 2>/dev/null); [ -n "$p" ] || break
done
PROVKIT_LOCK_TOKEN=${token} setsid tail --pid="$owner" -f /dev/null </dev/null >/dev/null 2>&1 &
echo "$!"`,
      { check: false, timeoutMs: options.waitMs + COMMAND_SLACK_MS, signal: options.signal },
    ).catch(async (error: unknown) => {
      // Stopped (abort, timeout, lost connection) maybe just after the holder started: a holder
      // nobody knows the pid of would keep the lock for as long as the connection lives.
      await this.runner.run(sh`for e in /proc/[0-9]*/environ; do if grep -qzx -- ${`PROVKIT_LOCK_TOKEN=${token}`} "$e" 2>/dev/null; then p=\${e#/proc/}; kill "\${p%/environ}"; fi; done; true`, { timeoutMs: RELEASE_TIMEOUT_MS }).catch(() => undefined);
      throw error;
    });
    if (result.exitCode === BUSY_EXIT) throw new ResourceBusyError(options.what, options.waitMs);
    const holderPid = Number(result.stdout.trim());
    if (result.exitCode !== 0 || !Number.isInteger(holderPid) || holderPid <= 1) throw new UnexpectedOutputError('flock', `${result.stdout}${result.stderr}`, `taking the lock on ${options.what} (exit ${result.exitCode})`);
    let released: Promise<boolean> | undefined;
    return {
      path,
      holderPid,
      release: () => {
        released ??= this.#release(path, holderPid);
        return released;
      },
      releaseAfter: async (command) => {
        if (released) return { ran: (await this.runner.run(command, { check: false, timeoutMs: RELEASE_TIMEOUT_MS })).exitCode === 0, held: await released, stderr: '' };
        const result = await this.runner.run(sh`if { ${command}
} </dev/null >/dev/null; then ${this.#releaseText(path, holderPid)}; else echo kept; fi`, { check: false, timeoutMs: RELEASE_TIMEOUT_MS });
        const said = result.stdout.trim();
        if (said === 'kept') return { ran: false, held: true, stderr: result.stderr };
        if (said !== 'released' && said !== 'gone') throw new UnexpectedOutputError('release of a host lock', `${result.stdout}${result.stderr}`, `releasing the lock on ${path} (exit ${result.exitCode})`);
        released = Promise.resolve(said === 'released');
        return { ran: true, held: said === 'released', stderr: result.stderr };
      },
    };
  }

  /**
   * Shell text that takes the lock at `path` (its directory is created) on descriptor 9 for the
   * rest of the command it starts: the lock is the command's own, let go when the command exits
   * or is killed with its process group (a timeout, an abort, the connection or orchestrator
   * lost). For a step that needs a lock only while one command runs, this saves the two round
   * trips of {@link acquire} and release. A command that could not take the lock in time fails
   * with what {@link busyError} recognises.
   */
  commandLock(path: string, options: CommandLockOptions): ShellFragment {
    const directory = path.slice(0, path.lastIndexOf('/'));
    const seconds = String(Math.max(1, Math.ceil(options.waitMs / 1000)));
    const flag = options.mode === 'shared' ? '-s' : '-x';
    return sh`{ { [ -d ${directory} ] || mkdir -p -- ${directory}; } && exec 9>>${path}; } || exit 1
flock ${flag} -w ${seconds} 9 || { echo ${BUSY_MARKER} >&2; exit ${String(BUSY_EXIT)}; }
`;
  }

  /** The `ResourceBusyError` for `what` when `error` is a command that started with {@link commandLock} and met a busy lock. */
  busyError(error: unknown, what: string, waitMs: number): ResourceBusyError | undefined {
    return isCommandFailure(error, BUSY_EXIT, BUSY_MARKER) ? new ResourceBusyError(what, waitMs) : undefined;
  }

  async #release(path: string, pid: number): Promise<boolean> {
    const result = await this.runner.run(this.#releaseText(path, pid), { timeoutMs: RELEASE_TIMEOUT_MS });
    return result.stdout.trim() === 'released';
  }

  /** Kills the holder and prints `released`, or prints `gone` when `pid` no longer holds `path`. */
  #releaseText(path: string, pid: number): ShellFragment {
    // The same file (device and inode) on the pid's descriptor 9: the pid was not reused since.
    const fd = `/proc/${pid}/fd/9`;
    return sh`if [ "$(stat -L -c %d:%i -- ${fd} 2>/dev/null)" = "$(stat -c %d:%i -- ${path})" ]; then kill ${String(pid)} && echo released; else echo gone; fi`;
  }

  /**
   * Whether nobody holds the lock at `path` right now (a missing lock file is free). Used to
   * tell an interrupted operation's record (its lock is gone with its process) from a live one.
   */
  async isFree(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<boolean> {
    const result = await this.runner.run(sh`test ! -e ${path} || flock -n -x ${path} true`, { check: false, timeoutMs: COMMAND_SLACK_MS, signal: options.signal });
    return result.exitCode === 0;
  }

  /**
   * Runs `task` with the lock at `path` held, releasing it however `task` ends; `onLost` is
   * told when the lock turns out to have been lost on the way (connection lost meanwhile).
   */
  async run<T>(path: string, options: HostLockOptions & { onLost?: (what: string) => void }, task: (lock: HostLock) => Promise<T>): Promise<T> {
    const lock = await this.acquire(path, options);
    try {
      return await task(lock);
    } finally {
      const held = await lock.release().catch(() => true);
      if (!held) options.onLost?.(options.what);
    }
  }
}
