import { connect, type Socket } from 'node:net';
import { ConnectionError, ProvkitError, waitFor } from '@provkit/core';

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
  signal?: AbortSignal | undefined;
  /** What is awaited, for the timeout message (default `the SSH banner of host:port`). */
  what?: string;
}

const MAX_BANNER_BYTES = 8192;
const MAX_PROBE_TIMEOUT_MS = 8000;
const SILENT_PROBES_BEFORE_LONGER_BOUND = 10;

/**
 * Waits until `host:port` greets with an SSH identification line (`SSH-2.0-...`), probing with
 * a plain TCP connection every `probeIntervalMs`, each bounded by `probeTimeoutMs`. A port
 * that accepts and closes (QEMU's user network forwards a port before the guest listens),
 * refuses, or stays silent past the bound is "not yet". Logging in is the caller's next step;
 * this only says when it is worth trying.
 */
export async function waitForSshBanner(options: WaitForSshBannerOptions): Promise<string> {
  const { banner, socket } = await waitForSshGreeting(options);
  socket.destroy();
  return banner;
}

/** A TCP connection whose SSH server has greeted, from {@link waitForSshGreeting}. */
export interface SshGreeting {
  /** The server's identification line (`SSH-2.0-...`). */
  banner: string;
  /**
   * The connection, paused, with everything the server sent still unread, so an SSH client can
   * run its handshake on it (`CommandRunner.adoptConnection`). Destroy it if it is not used.
   */
  socket: Socket;
}

/**
 * {@link waitForSshBanner}, keeping the greeted connection: logging in on it spares the server
 * a second accept (sshd forks and re-executes itself per connection: hundreds of milliseconds on
 * a guest under emulation, just when it is busiest finishing its boot).
 *
 * Probes go one at a time on purpose: a silent probe may be one the guest's sshd is already
 * serving (slow to greet while the guest boots), and opening more beside it adds a fork and
 * re-exec per probe to a guest that has no CPU to spare (measured here: overlapping probes kept
 * a TCG guest from ever greeting within the bound).
 */
export async function waitForSshGreeting(options: WaitForSshBannerOptions): Promise<SshGreeting> {
  const port = options.port ?? 22;
  const interval = Math.min(Math.max(options.probeIntervalMs ?? 100, 10), 250);
  let bound = Math.max(options.probeTimeoutMs ?? 1500, interval);
  let silentProbes = 0;
  return waitFor({
    what: options.what ?? `the SSH banner of ${options.host}:${port}`,
    timeoutMs: options.timeoutMs,
    initialDelayMs: interval,
    maxDelayMs: interval,
    factor: 1,
    signal: options.signal,
    isTransient: (error) => ProvkitError.hasCode(error, 'CONNECTION_FAILED'),
    poll: async ({ signal }) => {
      const probeBound = new AbortController();
      const timer = setTimeout(() => probeBound.abort(), bound);
      try {
        return { done: true, value: await probeBanner(options.host, port, AbortSignal.any([signal, probeBound.signal])) };
      } catch (error) {
        // Only this probe's own bound makes it silent; the wait's deadline or abort ends the wait.
        if (!probeBound.signal.aborted || signal.aborted) throw error;
        const waited = bound;
        if (++silentProbes % SILENT_PROBES_BEFORE_LONGER_BOUND === 0) bound = Math.min(bound * 2, MAX_PROBE_TIMEOUT_MS);
        throw new ConnectionError(`${options.host}:${port}`, `no banner within ${waited} ms`);
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

/**
 * Connects once and resolves with the server's identification line and the connection (paused,
 * what was received pushed back unread), or rejects with ConnectionError and closes it.
 */
function probeBanner(host: string, port: number, signal: AbortSignal): Promise<SshGreeting> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const fail = (error: Error): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new ConnectionError(`${host}:${port}`, 'banner probe stopped'));
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      // RFC 4253: the server may send other lines before the one starting "SSH-".
      for (const line of received.toString('latin1').split('\n').slice(0, -1)) {
        if (!line.startsWith('SSH-')) continue;
        signal.removeEventListener('abort', onAbort);
        socket.pause();
        socket.off('data', onData).off('error', onError).off('close', onClose);
        // An SSH client taking the socket over reads the greeting as if it had just arrived.
        socket.unshift(received);
        // Until someone takes it, a reset must not become an unhandled 'error'.
        socket.on('error', () => socket.destroy());
        return resolve({ banner: line.replace(/\r$/, ''), socket });
      }
      if (received.length > MAX_BANNER_BYTES) fail(new ConnectionError(`${host}:${port}`, 'no SSH banner in the first 8 KiB'));
    };
    const onError = (error: Error): void => fail(new ConnectionError(`${host}:${port}`, error.message, { cause: error }));
    const onClose = (): void => fail(new ConnectionError(`${host}:${port}`, 'closed before an SSH banner'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData).once('error', onError).once('close', onClose);
  });
}
