import { AbortedError, ProvkitError, TimeoutError } from '../errors/index.ts';
import { abortableDelay, throwIfAborted, untilAborted } from './abort.ts';

/** What one poll of {@link waitFor} found. */
export type PollResult<T> = { done: true; value: T } | { done: false; state: string };

/** Options of {@link waitFor}. */
export interface WaitForOptions<T> {
  /** What is awaited, for the timeout message: `SSH on node web-1`. */
  what: string;
  /** Checks once. Receives a signal that fires at the deadline or on abort. */
  poll: (context: { signal: AbortSignal; attempt: number }) => Promise<PollResult<T>>;
  /** The deadline, from now. */
  timeoutMs: number;
  /** First delay between polls (default 100 ms), multiplied by `factor` (default 1.6) up to `maxDelayMs` (default 2000 ms). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  signal?: AbortSignal | undefined;
  /**
   * Errors thrown by `poll` that count as "not yet" instead of ending the wait
   * (default: retryable provkit errors). Their message becomes the last state.
   */
  isTransient?: (error: unknown) => boolean;
}

/**
 * Polls until `poll` reports done, the deadline passes or `signal` fires. The first poll runs
 * at once; later ones back off exponentially. On timeout it throws {@link TimeoutError} naming
 * what was awaited and the last state seen; on abort, {@link AbortedError}.
 */
export async function waitFor<T>(options: WaitForOptions<T>): Promise<T> {
  const { what, poll, timeoutMs, signal } = options;
  const factor = options.factor ?? 1.6;
  const maxDelay = options.maxDelayMs ?? 2000;
  const isTransient = options.isTransient ?? ((error: unknown) => ProvkitError.isInstance(error) && error.isRetryable && error.code !== 'ABORTED');
  throwIfAborted(signal, what);
  const deadline = Date.now() + timeoutMs;
  // Our own timer, not AbortSignal.timeout(): that one is unref'd, so a wait whose poll hangs on
  // nothing else would let the process exit instead of ending with a TimeoutError.
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(), Math.max(1, timeoutMs));
  const pollSignal = signal ? AbortSignal.any([signal, expiry.signal]) : expiry.signal;
  let delay = options.initialDelayMs ?? 100;
  let lastState: string | undefined;
  const timedOut = (): TimeoutError => new TimeoutError(what, timeoutMs, lastState ?? 'no poll had answered');

  try {
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal, what);
      // The first poll always runs, even with a deadline of 0: "check once" stays expressible.
      if (attempt > 1 && expiry.signal.aborted) throw timedOut();
      try {
        // Raced against the deadline and the signal: a poll that ignores its signal must not
        // stretch the wait past its bound.
        const result = await untilAborted(() => poll({ signal: pollSignal, attempt }), pollSignal);
        if (result.done) return result.value;
        lastState = result.state;
      } catch (error) {
        if (signal?.aborted) throw new AbortedError(what, { cause: error });
        if (expiry.signal.aborted) throw timedOut();
        if (!isTransient(error)) throw error;
        lastState = error instanceof Error ? error.message : String(error);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw timedOut();
      await abortableDelay(Math.min(delay, remaining), signal, what);
      delay = Math.min(delay * factor, maxDelay);
    }
  } finally {
    clearTimeout(timer);
  }
}
