import { AbortedError, isSshNotAnswering, isSshNotUpYet, ProvkitError, type PollResult } from '@provkit/core';

/** A poll of core's `waitFor`. */
export type Poll<T> = (context: { signal: AbortSignal; attempt: number }) => Promise<PollResult<T>>;

/**
 * The last poll of a bounded wait starts at or runs into the deadline and is cut short; what it
 * says ("aborted") hides the state the timeout error should report. This keeps the previous
 * poll's outcome for that case (the caller's own abort still surfaces as such).
 */
export function keepLastState<T>(callerSignal: AbortSignal | undefined, poll: Poll<T>): Poll<T> {
  let last: { result: PollResult<T> } | { error: unknown } | undefined;
  return async (context) => {
    try {
      const result = await poll(context);
      last = { result };
      return result;
    } catch (error) {
      if (context.signal.aborted && !callerSignal?.aborted && last !== undefined) {
        if ('error' in last) throw last.error;
        return last.result;
      }
      last = { error };
      throw error;
    }
  };
}

/**
 * Errors that mean "SSH and PowerShell are not (yet) there" during a wait for them: core's
 * SSH-up decision, plus a probe script that failed (PowerShell not ready while Windows boots).
 */
export function isTransientProbeError(error: unknown): boolean {
  return isSshNotUpYet(error) || ProvkitError.hasCode(error, 'COMMAND_FAILED');
}

/** Errors that mean the node stopped answering SSH: core's SSH-gone decision. */
export function isGone(error: unknown): boolean {
  return isSshNotAnswering(error);
}

/** Rejects as soon as `signal` fires, even while the runner is still connecting. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  // Once abandoned, the command's own late failure must not become an unhandled rejection.
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError(what, { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
