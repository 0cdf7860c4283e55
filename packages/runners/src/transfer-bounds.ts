import { AbortedError, TimeoutError, untilAborted } from '@provkit/core';
import type { TransferOptions } from './command-runner.ts';

/**
 * Runs one file transfer bounded by `options.timeoutMs` (default `defaultTimeoutMs`; 0 for
 * none) and `options.signal`. `work` gets a signal that fires at either and should pass it to
 * its streams; it is also raced, since a request that never answers cannot be cancelled.
 * Throws {@link AbortedError} or {@link TimeoutError} (with `lastState()`); other failures are
 * rethrown as they are, for the runner to type.
 */
export async function boundedTransfer(
  what: string,
  options: TransferOptions,
  defaultTimeoutMs: number,
  work: (signal: AbortSignal) => Promise<void>,
  lastState: () => string,
): Promise<void> {
  if (options.signal?.aborted) throw new AbortedError(what, { cause: options.signal.reason });
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const expiry = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => expiry.abort(), timeoutMs) : undefined;
  const signal = options.signal ? AbortSignal.any([options.signal, expiry.signal]) : expiry.signal;
  try {
    await untilAborted(() => work(signal), signal);
  } catch (error) {
    if (options.signal?.aborted) throw new AbortedError(what, { cause: options.signal.reason });
    if (expiry.signal.aborted) throw new TimeoutError(what, timeoutMs, lastState(), { cause: error });
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
