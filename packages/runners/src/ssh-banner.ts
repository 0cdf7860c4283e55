import { connect } from 'node:net';
import { ConnectionError, waitFor } from '@provkit/core';

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
   * How long one probe waits for the banner before it is given up for a fresh one (default
   * 1500 ms). A probe accepted by QEMU's user-network forward before the guest's network is up
   * hangs until the forward's own SYN retransmission (seconds, growing); a fresh probe gets
   * through as soon as sshd listens. The bound doubles after every ten silent probes
   * (up to 8 s), so an sshd slower than the bound to greet is still heard.
   */
  probeTimeoutMs?: number;
  /**
   * How long a probe may stay silent before another is opened beside it (default 300 ms, at
   * most three at once). A connection QEMU's forward accepted while the guest's network was
   * down waits for the forward's SYN retransmission; a fresh one gets through as soon as sshd
   * listens, so the banner is seen within about this long of sshd's start.
   */
  staggerMs?: number;
  signal?: AbortSignal;
  /** What is awaited, for the timeout message (default `the SSH banner of host:port`). */
  what?: string;
}

const MAX_BANNER_BYTES = 8192;
const MAX_PROBE_TIMEOUT_MS = 8000;
const SILENT_PROBES_BEFORE_LONGER_BOUND = 10;

/**
 * Waits until `host:port` greets with an SSH identification line (`SSH-2.0-...`), probing with
 * a plain TCP connection every `probeIntervalMs`, each bounded by `probeTimeoutMs`, a second and
 * third opened beside a probe silent for `staggerMs`. A port
 * that accepts and closes (QEMU's user network forwards a port before the guest listens),
 * refuses, or stays silent past the bound is "not yet". Logging in is the caller's next step;
 * this only says when it is worth trying.
 */
export async function waitForSshBanner(options: WaitForSshBannerOptions): Promise<string> {
  const port = options.port ?? 22;
  const interval = Math.min(Math.max(options.probeIntervalMs ?? 100, 10), 250);
  const staggerMs = Math.max(options.staggerMs ?? 300, interval);
  let bound = Math.max(options.probeTimeoutMs ?? 1500, staggerMs);
  let silentProbes = 0;
  const inFlight: Probe[] = [];
  const target = `${options.host}:${port}`;
  try {
    return await waitFor({
      what: options.what ?? `the SSH banner of ${target}`,
      timeoutMs: options.timeoutMs,
      initialDelayMs: interval,
      maxDelayMs: interval,
      factor: 1,
      ...(options.signal ? { signal: options.signal } : {}),
      isTransient: (error) => error instanceof ConnectionError,
      poll: async ({ signal }) => {
        // Probes silent past their bound are given up; the bound doubles after every ten of them.
        for (const probe of inFlight.filter((entry) => performance.now() - entry.started >= bound)) {
          drop(inFlight, probe);
          if (++silentProbes % SILENT_PROBES_BEFORE_LONGER_BOUND === 0) bound = Math.min(bound * 2, MAX_PROBE_TIMEOUT_MS);
        }
        const newest = inFlight.at(-1);
        if (!newest || (inFlight.length < MAX_PROBES_IN_FLIGHT && performance.now() - newest.started >= staggerMs)) inFlight.push(startProbe(options.host, port));
        const waited = new AbortController();
        const timer = setTimeout(() => waited.abort(), staggerMs);
        const onAbort = (): void => waited.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          const outcome = await Promise.race([...inFlight.map((probe) => probe.outcome), abortedAt(waited.signal)]);
          if (outcome === undefined) throw new ConnectionError(target, `no banner within ${staggerMs} ms`);
          if ('banner' in outcome) return { done: true, value: outcome.banner };
          drop(inFlight, outcome.probe);
          throw outcome.error;
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
        }
      },
    });
  } finally {
    for (const probe of inFlight.splice(0)) probe.stop.abort();
  }
}

/** At most this many probes wait at once (each one that reaches sshd costs the guest a fork). */
const MAX_PROBES_IN_FLIGHT = 3;

/** One probe connection: how it ended, and how to give it up. */
interface Probe {
  started: number;
  stop: AbortController;
  outcome: Promise<{ banner: string } | { probe: Probe; error: ConnectionError }>;
}

function startProbe(host: string, port: number): Probe {
  const stop = new AbortController();
  const probe: Probe = { started: performance.now(), stop, outcome: undefined as never };
  probe.outcome = probeBanner(host, port, stop.signal).then(
    (banner) => ({ banner }),
    (error: ConnectionError) => ({ probe, error }),
  );
  return probe;
}

function drop(inFlight: Probe[], probe: Probe): void {
  const index = inFlight.indexOf(probe);
  if (index >= 0) inFlight.splice(index, 1);
  probe.stop.abort();
}

/** Resolves with undefined once `signal` aborts. */
function abortedAt(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', () => resolve(undefined), { once: true })));
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
