import { connect } from 'node:net';
import { ConnectionError } from '../errors/index.ts';
import { waitFor } from '../wait/index.ts';

/** Options of {@link waitForSshBanner}. */
export interface WaitForSshBannerOptions {
  host: string;
  port?: number;
  /** The deadline, from now. */
  timeoutMs: number;
  /**
   * Time between probes (default 100 ms, at most 250): constant, not a growing backoff, so a
   * guest whose sshd just started is seen within one interval.
   */
  probeIntervalMs?: number;
  /**
   * How long one probe waits for the banner (default 2000 ms) before it is given up and a new
   * one takes its place. A probe accepted by QEMU's user-network forward before the guest's
   * network is up hangs until the forward's own SYN retransmission (seconds, growing); a fresh
   * probe gets through as soon as sshd listens.
   */
  probeTimeoutMs?: number;
  signal?: AbortSignal;
  /** What is awaited, for the timeout message (default `the SSH banner of host:port`). */
  what?: string;
}

const MAX_BANNER_BYTES = 8192;

/**
 * Probes in flight at once at most: sshd counts unanswered connections against `MaxStartups`
 * (10 before it starts dropping), and the login that follows the banner must not be dropped.
 */
const MAX_PROBES_IN_FLIGHT = 8;

/**
 * Waits until `host:port` greets with an SSH identification line (`SSH-2.0-...`), starting a
 * plain TCP probe every `probeIntervalMs` without waiting for the previous one to end (each
 * bounded by `probeTimeoutMs`), so a probe stuck on a port that is not ready yet never delays
 * the one that will succeed. A port that accepts and closes (QEMU's user network forwards a
 * port before the guest listens) or that refuses is "not yet". Every probe still open is
 * closed before this returns. Logging in is the caller's next step; this only says when it
 * is worth trying.
 */
export async function waitForSshBanner(options: WaitForSshBannerOptions): Promise<string> {
  const port = options.port ?? 22;
  const interval = Math.min(Math.max(options.probeIntervalMs ?? 100, 10), 250);
  const probeTimeoutMs = Math.max(options.probeTimeoutMs ?? 2000, interval);
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let banner: string | undefined;
  let lastFailure: string | undefined;
  const launch = (): void => {
    const bound = new AbortController();
    const timer = setTimeout(() => bound.abort(), probeTimeoutMs);
    const probe: Promise<void> = probeBanner(options.host, port, AbortSignal.any([stop.signal, bound.signal]))
      .then(
        (line) => void (banner ??= line),
        (error: unknown) => void (lastFailure = error instanceof Error ? error.message : String(error)),
      )
      .finally(() => {
        clearTimeout(timer);
        inFlight.delete(probe);
      });
    inFlight.add(probe);
  };
  try {
    return await waitFor({
      what: options.what ?? `the SSH banner of ${options.host}:${port}`,
      timeoutMs: options.timeoutMs,
      initialDelayMs: interval,
      maxDelayMs: interval,
      factor: 1,
      ...(options.signal ? { signal: options.signal } : {}),
      poll: async () => {
        if (banner === undefined && inFlight.size < MAX_PROBES_IN_FLIGHT) {
          launch();
          // A banner already waiting (a local or quick server) is taken in this poll, not the next.
          await Promise.race([...inFlight, new Promise((resolve) => setImmediate(resolve))]);
        }
        return banner !== undefined ? { done: true, value: banner } : { done: false, state: lastFailure ?? `${inFlight.size} probe(s) waiting for a banner` };
      },
    });
  } finally {
    stop.abort();
    await Promise.all(inFlight);
  }
}

/** Connects once and resolves with the server's identification line, or rejects with ConnectionError. */
function probeBanner(host: string, port: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (error?: Error, banner?: string): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(banner!);
    };
    const onAbort = (): void => finish(new ConnectionError(`${host}:${port}`, 'banner probe stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // RFC 4253: the server may send other lines before the one starting "SSH-".
      for (const line of received.toString('latin1').split('\n').slice(0, -1)) {
        if (line.startsWith('SSH-')) return finish(undefined, line.replace(/\r$/, ''));
      }
      if (received.length > MAX_BANNER_BYTES) finish(new ConnectionError(`${host}:${port}`, 'no SSH banner in the first 8 KiB'));
    });
    socket.once('error', (error) => finish(new ConnectionError(`${host}:${port}`, error.message, { cause: error })));
    socket.once('close', () => finish(new ConnectionError(`${host}:${port}`, 'closed before an SSH banner')));
  });
}
