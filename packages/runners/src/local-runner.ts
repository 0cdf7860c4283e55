import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { chmod, stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createEmitter, type ProvkitEmitter, Secret } from '@provkit/core';
import type { Command, CommandResult, CommandRunner, RunOptions, TransferOptions } from './command-runner.ts';
import { execute, type ProcessHandle } from './execution.ts';
import { commandText, displayCommand } from './render-command.ts';
import { boundedTransfer } from './transfer-bounds.ts';

/** Options of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  events?: ProvkitEmitter;
  /** Default per-command timeout (default 10 min). */
  commandTimeoutMs?: number;
}

/**
 * Runs commands on this machine through `sh -c`, in their own process group so a timeout or
 * abort kills the whole pipeline. For a hypervisor that is the local machine.
 */
export class LocalRunner implements CommandRunner {
  readonly target = 'local';
  readonly events: ProvkitEmitter;
  readonly #timeoutMs: number;

  constructor(options: LocalRunnerOptions = {}) {
    this.events = options.events ?? createEmitter();
    this.#timeoutMs = options.commandTimeoutMs ?? 600_000;
  }

  run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const text = commandText(command);
    const secrets = options.secrets ?? [];
    const display = displayCommand(text, secrets);
    const start = async (): Promise<ProcessHandle> => {
      const child = spawn('/bin/sh', ['-c', text], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      });
      return {
        stdout: child.stdout,
        stderr: child.stderr,
        stdin: child.stdin,
        exited,
        kill: () => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        },
      };
    };
    return execute(start, { target: this.target, display, events: this.events, defaultTimeoutMs: this.#timeoutMs, secrets }, options);
  }

  /** Writes `data` to `path` (mode default 0644); bounded by `options.timeoutMs` (default: the command timeout) and `signal`. */
  writeFile(path: string, data: string | Uint8Array | Secret, options: TransferOptions = {}): Promise<void> {
    const content = Secret.isSecret(data) ? data.reveal() : data;
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    return this.#copy(`write of ${path}`, undefined, () => Readable.from([bytes]), path, options);
  }

  /** Copies `localPath` to `remotePath` (both on this machine, mode default the source's); bounded like {@link LocalRunner.writeFile}. */
  uploadFile(localPath: string, remotePath: string, options: TransferOptions = {}): Promise<void> {
    return this.#copy(`copy of ${localPath} to ${remotePath}`, localPath, () => createReadStream(localPath), remotePath, options);
  }

  /** Copies `remotePath` to `localPath` (both on this machine, mode default the source's); bounded like {@link LocalRunner.writeFile}. */
  downloadFile(remotePath: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    return this.#copy(`copy of ${remotePath} to ${localPath}`, remotePath, () => createReadStream(remotePath), localPath, options);
  }

  /** Streams the file `remotePath` (on this machine) into `sink`; bounded like {@link LocalRunner.writeFile}. */
  downloadStream(remotePath: string, sink: Writable, options: TransferOptions = {}): Promise<void> {
    let reader: ReadStream | undefined;
    return boundedTransfer(
      `read of ${remotePath} into a stream`,
      options,
      this.#timeoutMs,
      async (signal) => {
        reader = createReadStream(remotePath);
        await pipeline(reader, sink, { signal });
      },
      () => `${reader?.bytesRead ?? 0} bytes read`,
    );
  }

  /** Streams `source` into `remotePath` (on this machine; mode default 0644); bounded like {@link LocalRunner.writeFile}. */
  uploadStream(source: Readable, remotePath: string, options: TransferOptions = {}): Promise<void> {
    return this.#copy(`write of a stream to ${remotePath}`, undefined, () => source, remotePath, options);
  }

  #copy(what: string, from: string | undefined, source: () => Readable, to: string, options: TransferOptions): Promise<void> {
    let writer: WriteStream | undefined;
    return boundedTransfer(
      what,
      options,
      this.#timeoutMs,
      async (signal) => {
        // A copy keeps the source's mode unless told otherwise, as cp and fs.copyFile do.
        const mode = options.mode ?? (from === undefined ? 0o644 : (await stat(from)).mode & 0o7777);
        writer = createWriteStream(to, { mode });
        await pipeline(source(), writer, { signal });
        // The creation mode is filtered by the umask; chmod sets exactly what was asked.
        if (options.mode !== undefined) await chmod(to, options.mode);
      },
      () => `${writer?.bytesWritten ?? 0} bytes written`,
    );
  }
}
