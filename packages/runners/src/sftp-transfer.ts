import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper, WriteStream } from 'ssh2';
import { ConnectionError, InvalidInputError, OperationFailedError, PermissionDeniedError, ProvkitError, Secret } from '@provkit/core';
import type { TransferOptions } from './command-runner.ts';
import { boundedTransfer } from './transfer-bounds.ts';

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that ssh2 puts on `error.code`. */
const SFTP_PERMISSION_DENIED = 3;

/** Where one transfer is at, for the error that ends it. */
interface TransferProgress {
  step: 'open' | 'transfer' | 'chmod';
  bytes: () => number;
}

/**
 * File transfers over one host's SFTP session, each bounded by a timeout and the caller's
 * signal, each failure a typed error: `AbortedError`, `TimeoutError` (with the bytes moved so
 * far), the session's own {@link ConnectionError}, or an {@link OperationFailedError}
 * naming the transfer and its step, with a {@link PermissionDeniedError} or {@link ConnectionError}
 * cause where the failure is one.
 */
export class SftpTransfers {
  readonly #session: () => Promise<SFTPWrapper>;
  readonly #target: string;
  readonly #defaultTimeoutMs: number;

  /** `session` opens (or reuses) the SFTP session; `target` names the host in errors. */
  constructor(session: () => Promise<SFTPWrapper>, target: string, defaultTimeoutMs: number) {
    this.#session = session;
    this.#target = target;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  /** Writes `data` to `remotePath` (mode default 0644). */
  writeFile(remotePath: string, data: string | Uint8Array | Secret, options: TransferOptions): Promise<void> {
    const content = Secret.isSecret(data) ? data.reveal() : data;
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    return this.#guard(`SFTP write of ${this.#target}:${remotePath}`, options, async (sftp, signal, progress) => {
      await send(() => Readable.from([bytes]), sftp, remotePath, options.mode, signal, progress);
      await setMode(sftp, remotePath, options.mode, progress);
    });
  }

  /** Copies the local file `localPath` to `remotePath`. */
  async uploadFile(localPath: string, remotePath: string, options: TransferOptions): Promise<void> {
    // Refused before the remote file is created (or truncated).
    const local = await stat(localPath).catch((error: NodeJS.ErrnoException) => {
      throw new InvalidInputError('localPath', `cannot read ${localPath}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, { cause: error });
    });
    if (!local.isFile()) throw new InvalidInputError('localPath', `${localPath} is not a regular file`);
    return this.#guard(`SFTP upload of ${localPath} to ${this.#target}:${remotePath}`, options, async (sftp, signal, progress) => {
      await send(() => createReadStream(localPath), sftp, remotePath, options.mode, signal, progress);
      await setMode(sftp, remotePath, options.mode, progress);
    });
  }

  /** Copies `remotePath` to the local file `localPath` (mode default 0644). */
  downloadFile(remotePath: string, localPath: string, options: TransferOptions): Promise<void> {
    return this.#guard(`SFTP download of ${this.#target}:${remotePath} to ${localPath}`, options, async (sftp, signal, progress) => {
      const reader = sftp.createReadStream(remotePath);
      // The local file is created only once the remote one is known to open.
      await opened(reader, signal);
      progress.step = 'transfer';
      const writer = createWriteStream(localPath, { mode: options.mode ?? 0o644 });
      progress.bytes = () => writer.bytesWritten;
      await pipeline(reader, writer, { signal });
    });
  }

  /** Streams `source` into `remotePath` (mode default 0644); `source` is read only once the remote file is open. */
  uploadStream(source: Readable, remotePath: string, options: TransferOptions): Promise<void> {
    return this.#guard(`SFTP upload of a stream to ${this.#target}:${remotePath}`, options, async (sftp, signal, progress) => {
      await send(() => source, sftp, remotePath, options.mode, signal, progress);
      await setMode(sftp, remotePath, options.mode, progress);
    });
  }

  /** Streams `remotePath` into `sink`, which is ended with the file. */
  downloadStream(remotePath: string, sink: Writable, options: TransferOptions): Promise<void> {
    return this.#guard(`SFTP download of ${this.#target}:${remotePath} to a stream`, options, async (sftp, signal, progress) => {
      const reader = sftp.createReadStream(remotePath);
      await opened(reader, signal);
      progress.step = 'transfer';
      let bytes = 0;
      reader.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      progress.bytes = () => bytes;
      await pipeline(reader, sink, { signal });
    });
  }

  async #guard(what: string, options: TransferOptions, work: (sftp: SFTPWrapper, signal: AbortSignal, progress: TransferProgress) => Promise<void>): Promise<void> {
    const progress: TransferProgress = { step: 'open', bytes: () => 0 };
    try {
      await boundedTransfer(what, options, this.#defaultTimeoutMs, async (signal) => work(await this.#session(), signal, progress), () => `${progress.step}, ${progress.bytes()} bytes written`);
    } catch (error) {
      throw transferError(what, progress.step, this.#target, error);
    }
  }
}

/**
 * Opens `remotePath` for writing, then streams `source()` into it and waits until the remote
 * file is closed. The source is made only once the remote file is open, so nothing reads a
 * local file for a transfer that cannot happen.
 */
async function send(
  source: () => Readable,
  sftp: SFTPWrapper,
  remotePath: string,
  mode: number | undefined,
  signal: AbortSignal,
  progress: TransferProgress,
): Promise<void> {
  // ssh2 keeps these two on the stream without declaring them in its types.
  const writer = sftp.createWriteStream(remotePath, { mode: mode ?? 0o644 }) as WriteStream & { isClosed?: boolean; bytesWritten?: number };
  progress.bytes = () => writer.bytesWritten ?? 0;
  await opened(writer, signal);
  progress.step = 'transfer';
  await pipeline(source(), writer, { signal });
  // ssh2 reports 'finish' before its CLOSE request is answered; a failing close surfaces only here.
  if (!writer.isClosed) await once(writer, 'close', { signal });
}

/** Waits for an SFTP stream's handle; if that wait ends early, the stream is released. */
async function opened(stream: Readable | Writable, signal: AbortSignal): Promise<void> {
  try {
    await once(stream, 'open', { signal });
  } catch (error) {
    // ssh2 still emits a late open failure as 'error'; nobody listens any more, so swallow it
    // rather than crash the process, and close the handle if the open succeeds.
    stream.on('error', () => {});
    stream.destroy();
    throw error;
  }
}

async function setMode(sftp: SFTPWrapper, path: string, mode: number | undefined, progress: TransferProgress): Promise<void> {
  // The open mode is filtered by the server's umask; chmod sets exactly what was asked.
  if (mode === undefined) return;
  progress.step = 'chmod';
  await new Promise<void>((resolve, reject) => sftp.chmod(path, mode, (error) => (error ? reject(error) : resolve())));
}

function transferError(what: string, step: string, target: string, error: unknown): ProvkitError {
  if (ProvkitError.isInstance(error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Numeric codes are SFTP status replies, string codes local file errors; anything else
  // (no reply, a closed channel) is the connection failing, which a retry may cure.
  let cause: unknown = error;
  if (code === SFTP_PERMISSION_DENIED) cause = new PermissionDeniedError(`${target}: ${message}`, { cause: error });
  else if (code === undefined) cause = new ConnectionError(target, message, { cause: error });
  return new OperationFailedError(what, step, cause);
}
