import { PassThrough, Writable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { ConnectionError } from '@provkit/core';
import type { ProcessHandle } from './execution.ts';
import { MarkerScanner } from './marker-scanner.ts';
import {
  commandFrame,
  END_OF_STDIN,
  NO_SHELL_STATUS,
  randomToken,
  shellBootstrap,
  startMarker,
  stderrEndMarker,
  stdinFrames,
  stdoutEndMarker,
} from './remote-shell-protocol.ts';
import { exitStatusOf, openExec } from './ssh-connection.ts';

// These two share CONNECTION_FAILED with any lost connection, so the pool tells them apart with
// instanceof: they never leave this package (not exported), so there is one copy of each class.

/** The shell closed before a command started: nothing ran, so the command may be sent to another shell. */
export class ShellGoneError extends ConnectionError {}

/** The host lacks what the persistent shell needs; commands there go one exec channel each. */
export class ShellUnsupportedError extends ConnectionError {}

/** Options of {@link RemoteShell.open}. */
export interface RemoteShellOpenOptions {
  client: Client;
  label: string;
  /** Bound on the login shell starting the program and the program reporting ready. */
  timeoutMs: number;
}

/** Options of {@link RemoteShell.start}. */
export interface RemoteShellStartOptions {
  /** The command text, run by a fresh `sh` in its own process group. */
  text: string;
  /** Whether the command gets stdin frames (else its stdin is `/dev/null`). */
  withStdin: boolean;
  /** Kills the process group `pgid` on the host (through another channel: this one is busy). */
  killGroup: (pgid: number) => void;
  /** How long a killed command may take to report its end before the shell is closed instead. */
  stuckShellMs: number;
}

interface Running {
  id: string;
  stdout: PassThrough;
  stderr: PassThrough;
  phase: 'starting' | 'pid' | 'output' | 'status' | 'done';
  scanner: MarkerScanner;
  stderrScanner: MarkerScanner | undefined;
  digits: string;
  pid?: number;
  statusCode?: number;
  stdinOpen: boolean;
  started: { resolve: (pid: number) => void; reject: (error: Error) => void };
  exited: { resolve: (status: { exitCode: number | null; signal: string | null }) => void; reject: (error: Error) => void };
  finished: () => void;
}

/**
 * One persistent POSIX `sh` on one SSH channel, running one command at a time through the
 * framing of `remote-shell-protocol.ts`. The login shell runs once, when the channel opens;
 * every command after that costs a fork in the already-running `sh`.
 */
export class RemoteShell {
  readonly client: Client;
  readonly #channel: ClientChannel;
  readonly #label: string;
  #running: Running | undefined;
  #alive = true;

  private constructor(client: Client, channel: ClientChannel, label: string) {
    this.client = client;
    this.#channel = channel;
    this.#label = label;
  }

  /** Whether the shell still runs and no command is in it. */
  get idle(): boolean {
    return this.#alive && this.#running === undefined;
  }

  /** Whether the shell's channel is still open. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Execs the shell program on a new channel and waits until it reports ready on both streams. */
  static async open(options: RemoteShellOpenOptions): Promise<RemoteShell> {
    const ready = randomToken();
    const channel = await openExec(options.client, options.label, shellBootstrap(ready));
    await new Promise<void>((resolve, reject) => {
      const token = Buffer.from(`${ready}\n`);
      const out = new MarkerScanner(token);
      const err = new MarkerScanner(token);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        channel.off('data', onOut);
        channel.stderr.off('data', onErr);
        channel.off('close', onClose);
        reject(error);
      };
      const check = (): void => {
        if (!out.found || !err.found) return;
        clearTimeout(timer);
        channel.off('data', onOut);
        channel.stderr.off('data', onErr);
        channel.off('close', onClose);
        resolve();
      };
      // Whatever a login shell prints before the program starts is not ours: it is dropped.
      const onOut = (chunk: Buffer): void => {
        if (!out.found) out.push(chunk);
        check();
      };
      const onErr = (chunk: Buffer): void => {
        if (!err.found) err.push(chunk);
        check();
      };
      const onClose = (): void => {
        const status = exitStatusOf(channel);
        if (status?.exitCode === NO_SHELL_STATUS) fail(new ShellUnsupportedError(options.label, 'the host has no setsid, or no FIFO can be made in its temp directory, for the persistent shell', { isRetryable: false }));
        else fail(new ConnectionError(options.label, `the persistent shell ended before it was ready (exit ${status?.exitCode ?? 'unknown'})`));
      };
      const timer = setTimeout(() => {
        channel.close();
        fail(new ConnectionError(options.label, `the persistent shell did not report ready within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      channel.on('data', onOut);
      channel.stderr.on('data', onErr);
      channel.once('close', onClose);
    });
    const shell = new RemoteShell(options.client, channel, options.label);
    channel.on('data', (chunk: Buffer) => shell.#onStdout(chunk));
    channel.stderr.on('data', (chunk: Buffer) => shell.#onStderr(chunk));
    channel.once('close', () => shell.#onClose());
    return shell;
  }

  /** Closes the channel (the shell gets EOF and ends). */
  close(): void {
    this.#alive = false;
    this.#channel.close();
  }

  /**
   * Starts a command; resolves once the command reported its process group, with a handle whose
   * `exited` settles when the command ended. `finished` resolves when the shell can take the
   * next command (or is gone). Rejects with {@link ShellGoneError} when the shell closed before
   * the command started.
   */
  start(options: RemoteShellStartOptions): { handle: Promise<ProcessHandle>; finished: Promise<void> } {
    if (!this.idle) throw new Error('the remote shell is busy or closed');
    const id = randomToken();
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let started!: Running['started'];
    const pidReported = new Promise<number>((resolve, reject) => {
      started = { resolve, reject };
    });
    let exited!: Running['exited'];
    const exitedPromise = new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
      exited = { resolve, reject };
    });
    // Observed by execute(); a command that never started has nobody waiting for its end.
    exitedPromise.catch(() => {});
    const running: Running = {
      id,
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      phase: 'starting',
      scanner: new MarkerScanner(startMarker(id)),
      stderrScanner: new MarkerScanner(stderrEndMarker(id)),
      digits: '',
      stdinOpen: options.withStdin,
      started,
      exited,
      finished: () => {
        if (this.#running === running) this.#running = undefined;
        finish();
      },
    };
    this.#running = running;
    this.#channel.write(commandFrame(id, options.text, options.withStdin));

    const handle = pidReported.then((pid): ProcessHandle => {
      let killed = false;
      return {
        stdout: running.stdout,
        stderr: running.stderr,
        stdin: this.#stdinFor(running),
        exited: exitedPromise,
        kill: () => {
          if (killed || running.phase === 'done') return;
          killed = true;
          options.killGroup(pid);
          // A command whose processes escaped the group could keep the shell busy: past the
          // grace period the shell is closed, which ends the command here and frees the slot.
          setTimeout(() => {
            if (this.#running === running) this.close();
          }, options.stuckShellMs).unref();
        },
      };
    });
    return { handle, finished };
  }

  #stdinFor(running: Running): Writable {
    const channel = this.#channel;
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (!running.stdinOpen || !this.#alive) return callback();
        let flowing = true;
        for (const frame of stdinFrames(chunk)) flowing = channel.write(frame);
        if (flowing) return callback();
        const resume = (): void => {
          channel.off('drain', resume);
          channel.off('close', resume);
          callback();
        };
        channel.once('drain', resume);
        channel.once('close', resume);
      },
      final: (callback) => {
        this.#endStdin(running);
        callback();
      },
    });
  }

  #endStdin(running: Running): void {
    if (!running.stdinOpen) return;
    running.stdinOpen = false;
    if (this.#alive) this.#channel.write(END_OF_STDIN);
    this.#maybeFinished(running);
  }

  #onStdout(chunk: Buffer): void {
    const running = this.#running;
    // Output with no command in the shell comes from a process an earlier command left behind.
    if (!running) return;
    let rest: Buffer | undefined = chunk;
    while (rest !== undefined && rest.length > 0) rest = this.#stdoutStep(running, rest);
  }

  /** Consumes what it can of `chunk` for the command's current phase; returns the unread rest. */
  #stdoutStep(running: Running, chunk: Buffer): Buffer | undefined {
    switch (running.phase) {
      case 'starting': {
        const { rest } = running.scanner.push(chunk);
        if (rest === undefined) return undefined;
        running.phase = 'pid';
        return rest;
      }
      case 'pid':
      case 'status': {
        const newline = chunk.indexOf(10);
        running.digits += chunk.subarray(0, newline < 0 ? chunk.length : newline).toString('latin1');
        if (newline < 0) return undefined;
        const value = Number(running.digits);
        running.digits = '';
        if (running.phase === 'pid') {
          running.pid = value;
          running.phase = 'output';
          running.scanner = new MarkerScanner(stdoutEndMarker(running.id));
          running.started.resolve(value);
        } else {
          running.statusCode = value;
          running.phase = 'done';
          running.stdout.end();
          // The command is over: whatever stdin is still coming is not wanted (the shell reads
          // frames up to the end-of-input one before it takes the next command).
          this.#endStdin(running);
          this.#maybeFinished(running);
        }
        return chunk.subarray(newline + 1);
      }
      case 'output': {
        const { data, rest } = running.scanner.push(chunk);
        if (data.length > 0) running.stdout.write(data);
        if (rest === undefined) return undefined;
        running.phase = 'status';
        return rest;
      }
      case 'done':
        return undefined;
    }
  }

  #onStderr(chunk: Buffer): void {
    const running = this.#running;
    if (!running?.stderrScanner) return;
    const { data, rest } = running.stderrScanner.push(chunk);
    if (data.length > 0) running.stderr.write(data);
    if (rest === undefined) return;
    running.stderrScanner = undefined;
    running.stderr.end();
    this.#maybeFinished(running);
  }

  #maybeFinished(running: Running): void {
    if (running.phase !== 'done' || running.stderrScanner !== undefined || running.stdinOpen) return;
    running.exited.resolve({ exitCode: running.statusCode ?? null, signal: null });
    running.finished();
  }

  #onClose(): void {
    this.#alive = false;
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    if (running.phase === 'starting') running.started.reject(new ShellGoneError(this.#label, 'the persistent shell closed before the command started'));
    else if (running.phase === 'pid') running.started.reject(new ConnectionError(this.#label, 'the persistent shell closed while the command started'));
    running.exited.reject(new ConnectionError(this.#label, 'the channel closed before the command exited (connection lost?)'));
    running.stdout.end();
    running.stderr.end();
    running.finished();
  }
}
