import { AbortedError } from '../errors/index.ts';

/** Throws {@link AbortedError} if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
}

/**
 * Resolves after `ms`, or rejects with {@link AbortedError} as soon as `signal` fires.
 * This is the backoff step of bounded waits, never a synchronization by itself.
 */
export function abortableDelay(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(what, { cause: signal.reason }));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(what, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
