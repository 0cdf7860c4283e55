/** Options of {@link renewWhileRunning}. */
export interface LeaseRenewalOptions {
  /** Length of the lease; renewed every third of it. */
  leaseMs: number;
  /** One renewal (a request to the endpoint). */
  renew: (signal: AbortSignal) => Promise<void>;
  /**
   * Whether a failed renewal met a VM busy with another task (vim25 `TaskInProgress`,
   * `ConcurrentAccess`: the load's own power-on or reconfiguration on a real vCenter). Such a
   * renewal is retried soon, with backoff, while the lease still holds; without it every
   * failure waits for the next regular renewal.
   */
  isBusy?: (error: unknown) => boolean;
  /**
   * A renewal failed for another reason (the next regular one is tried all the same), or busy
   * retries did not renew the lease before it ran out (`lapsed`).
   */
  onFailure: (error: unknown, details: { lapsed: boolean }) => void;
}

/** First wait before retrying a renewal that met a busy VM (doubled at each retry). */
const FIRST_BUSY_RETRY_MS = 500;

/**
 * Renews an operation's lease every third of its length until the returned `stop` is called,
 * one renewal at a time (a slow one delays the next instead of piling up), each bounded by
 * the time its lease has left. A renewal that met a busy VM is retried after 0.5 s, 1 s, 2 s…
 * but never past the lease's end, which is counted from the last renewal that succeeded (or the
 * start). The timers are unref'd: they never hold the process.
 */
export function renewWhileRunning(options: LeaseRenewalOptions): () => void {
  const stopped = new AbortController();
  const interval = Math.max(1, Math.floor(options.leaseMs / 3));
  let leaseEnd = Date.now() + options.leaseMs;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (delayMs: number, busyRetryMs: number): void => {
    if (stopped.signal.aborted) return;
    timer = setTimeout(() => void attempt(busyRetryMs), delayMs);
    timer.unref();
  };

  const attempt = async (busyRetryMs: number): Promise<void> => {
    const started = Date.now();
    const left = leaseEnd - started;
    try {
      await options.renew(AbortSignal.any([stopped.signal, AbortSignal.timeout(Math.max(1, left > 0 ? left : options.leaseMs))]));
      leaseEnd = started + options.leaseMs;
      schedule(interval, FIRST_BUSY_RETRY_MS);
    } catch (error) {
      if (stopped.signal.aborted) return;
      if (options.isBusy?.(error)) {
        // Busy: tried again soon, while the lease has time left for it.
        if (Date.now() + busyRetryMs < leaseEnd) return schedule(busyRetryMs, busyRetryMs * 2);
        options.onFailure(error, { lapsed: true });
        return schedule(interval, FIRST_BUSY_RETRY_MS);
      }
      options.onFailure(error, { lapsed: false });
      schedule(interval, FIRST_BUSY_RETRY_MS);
    }
  };

  schedule(interval, FIRST_BUSY_RETRY_MS);
  return () => {
    clearTimeout(timer);
    stopped.abort();
  };
}
