import { PassThrough } from 'node:stream';
import { AbortedError, UnsupportedFunctionalityError } from '@provkit/core';
import type { CommandRunner, TransferOptions } from './command-runner.ts';

/** A file on the target of a runner. */
export interface RunnerFile {
  runner: CommandRunner;
  path: string;
}

/** True when `source` can stream out and `target` can stream in, so {@link copyBetween} can run. */
export function canCopyBetween(source: CommandRunner, target: CommandRunner): boolean {
  return typeof source.downloadStream === 'function' && typeof target.uploadStream === 'function';
}

/**
 * Copies a file from one runner's target to another's (host to host) through this process,
 * streamed with back-pressure: nothing is staged on this machine's disk and at most a few
 * buffers are in memory. Both transfers are bounded by `options` (timeout, signal); the first
 * to fail stops the other, and its error is the one thrown (an abort of the caller's signal is
 * `AbortedError`). A stopped copy leaves a partial target: write to a temporary name and
 * rename once it is verified.
 */
export async function copyBetween(source: RunnerFile, target: RunnerFile, options: TransferOptions = {}): Promise<void> {
  if (!canCopyBetween(source.runner, target.runner)) {
    throw new UnsupportedFunctionalityError('a streamed copy', `the runners of ${source.runner.target} and ${target.runner.target} (downloadStream and uploadStream)`);
  }
  const what = `copy of ${source.runner.target}:${source.path} to ${target.runner.target}:${target.path}`;
  if (options.signal?.aborted) throw new AbortedError(what, { cause: options.signal.reason });
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const pipe = new PassThrough();
  // A failure reaches the caller through the side that met it; the pipe's own 'error' (from
  // destroying it, maybe before the target side reads it) is not a second one.
  pipe.on('error', () => undefined);
  let first: { error: unknown } | undefined;
  const side = async (transfer: Promise<void>): Promise<void> => {
    try {
      await transfer;
    } catch (error) {
      first ??= { error };
      // The other side waits on the pipe: end it with the failure.
      stop.abort(error);
      pipe.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const sideOptions = { ...options, signal };
  await Promise.all([side(source.runner.downloadStream!(source.path, pipe, sideOptions)), side(target.runner.uploadStream!(pipe, target.path, sideOptions))]);
  if (first) throw options.signal?.aborted ? new AbortedError(what, { cause: options.signal.reason }) : first.error;
}
