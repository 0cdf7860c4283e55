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

/**
 * Runs `task` and settles as it does, or rejects as soon as `signal` fires (with the signal's
 * reason); if it has already fired, `task` is not run. The task is not stopped: it should honour the signal itself; this only makes sure
 * the caller is not held by one that does not. A late outcome is passed to `onLate` (to release
 * what it made) or dropped, never left as an unhandled rejection.
 */
export function untilAborted<T>(task: () => Promise<T>, signal: AbortSignal, onLate?: (value: T) => void): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let gaveUp = false;
    const onAbort = (): void => {
      gaveUp = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // new Promise(...) also catches a task that throws synchronously.
    new Promise<T>((inner) => inner(task())).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (gaveUp) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!gaveUp) reject(error);
      },
    );
  });
}
