/** Options of {@link renewWhileRunning}. */
export interface LeaseRenewalOptions {
  /** Length of the lease; renewed every third of it. */
  leaseMs: number;
  /** One renewal (a request to the endpoint). */
  renew: (signal: AbortSignal) => Promise<void>;
  /** A renewal failed (the next one is tried all the same). */
  onFailure: (error: unknown) => void;
}

/**
 * Renews an operation's lease every third of its length until the returned `stop` is called,
 * one renewal at a time (a slow one delays the next instead of piling up), each bounded by
 * the lease itself. The timer is unref'd: it never holds the process.
 */
export function renewWhileRunning(options: LeaseRenewalOptions): () => void {
  const stopped = new AbortController();
  let running = false;
  const timer = setInterval(() => {
    if (running || stopped.signal.aborted) return;
    running = true;
    options
      .renew(AbortSignal.any([stopped.signal, AbortSignal.timeout(options.leaseMs)]))
      .catch((error: unknown) => {
        if (!stopped.signal.aborted) options.onFailure(error);
      })
      .finally(() => (running = false));
  }, Math.max(1, Math.floor(options.leaseMs / 3)));
  timer.unref();
  return () => {
    clearInterval(timer);
    stopped.abort();
  };
}
