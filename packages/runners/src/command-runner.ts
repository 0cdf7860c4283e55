import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { ProvkitEmitter, Secret, ShellFragment } from '@provkit/core';

/**
 * A command: an argv (each word quoted for you), or a {@link ShellFragment} built with the
 * `sh` template. Plain strings are not accepted, so nothing reaches a shell unquoted.
 */
export type Command = readonly string[] | ShellFragment;

/** Options of {@link CommandRunner.run}. */
export interface RunOptions {
  /** Stops the command (the remote process gets SIGKILL / the channel is closed). */
  signal?: AbortSignal | undefined;
  /** Kills the command after this long and throws `TimeoutError`. Default: the runner's. */
  timeoutMs?: number;
  /** Data for the command's standard input, then EOF. Secrets go here, never in argv. */
  stdin?: string | Uint8Array | Secret | Readable;
  /**
   * Throw `CommandFailedError` on a non-zero exit (default `true`). With `false` the result
   * carries the exit code instead.
   */
  check?: boolean;
  /**
   * Values written into the command text itself: redacted from the command line shown in
   * events and errors, and from quoted output. List only values the command really contains.
   */
  secrets?: readonly Secret[];
  /**
   * Values the command gets another way (inside stdin, a file) and may echo: redacted from
   * quoted output only. They are never looked for in the command line, where redacting text
   * the command never contained would show which public words equal the secret.
   */
  outputSecrets?: readonly Secret[];
  /** Cap on captured stdout/stderr bytes each (default 64 MiB); past it the command fails. */
  maxOutputBytes?: number;
}

/** What a finished command returned. */
export interface CommandResult {
  /** The command line as run, secrets redacted. */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Raw standard output, for binary data. */
  stdoutBytes: Buffer;
  durationMs: number;
}

/** Options of file transfers. */
export interface TransferOptions {
  /**
   * Stops the transfer (streams destroyed, remote handle closed) and throws `AbortedError`. A
   * stopped transfer leaves a partial file: write to a temporary name and rename when done.
   */
  signal?: AbortSignal | undefined;
  /** Stops the transfer after this long and throws `TimeoutError`. Default: the runner's command timeout; 0 for none. */
  timeoutMs?: number;
  /** File mode of the written file, e.g. `0o600`. */
  mode?: number;
}

/**
 * Runs commands on one target (the local machine or one SSH host). Implementations emit a
 * `command` event per command with secrets redacted.
 */
export interface CommandRunner {
  /** Where commands run: `local` or `user@host:port`. */
  readonly target: string;
  /** Runs a command through `sh -c` on the target. */
  run(command: Command, options?: RunOptions): Promise<CommandResult>;
  /** Writes `data` to `remotePath` on the target. */
  writeFile(remotePath: string, data: string | Uint8Array | Secret, options?: TransferOptions): Promise<void>;
  /** Copies a local file to `remotePath` on the target. */
  uploadFile(localPath: string, remotePath: string, options?: TransferOptions): Promise<void>;
  /** Copies `remotePath` on the target to a local file. */
  downloadFile(remotePath: string, localPath: string, options?: TransferOptions): Promise<void>;
  /**
   * Streams `remotePath` on the target into `sink`, nothing staged on disk (with another
   * runner's {@link CommandRunner.uploadStream}: a copy from host to host through this process,
   * see `copyBetween`). Bounded and typed like the other transfers; `sink` is ended with the file.
   * Optional: a runner without it is used through {@link CommandRunner.downloadFile}.
   */
  downloadStream?(remotePath: string, sink: Writable, options?: TransferOptions): Promise<void>;
  /**
   * Streams `source` into `remotePath` on the target (mode default 0644), bounded and typed
   * like the other transfers. The remote file is opened before `source` is read. Optional, as
   * {@link CommandRunner.downloadStream}.
   */
  uploadStream?(source: Readable, remotePath: string, options?: TransferOptions): Promise<void>;
  /** Events of this runner (`command`). */
  readonly events: ProvkitEmitter;
  /**
   * Optional, SSH runners only: takes over a TCP connection to the runner's host and port whose
   * SSH server has already sent its greeting (`waitForSshGreeting` keeps it unread), so the
   * next connection need not dial again. A runner without it lets the caller close the socket.
   */
  adoptConnection?(socket: Socket): void;
}
