import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { AbortedError, AuthenticationError, ConnectionError, HostKeyMismatchError, InvalidInputError, ProvkitError, Secret, Semaphore, untilAborted } from '@provkit/core';
import { hostKeyAlgorithms } from './host-key-algorithms.ts';
import { verifyHostKey, fingerprintSha256 } from './host-keys.ts';
import type { SshTarget } from './ssh-options.ts';
import { sshAuthOrder } from './ssh-auth-order.ts';

/** Tunables of one pooled connection. */
export interface SshConnectionSettings {
  maxChannels: number;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Called each time a TCP connection is opened (for statistics). */
  onConnect: () => void;
}

/** How long a handed-over greeted socket waits for a connect before it is closed. */
const ADOPTED_SOCKET_TTL_MS = 30_000;

/**
 * One SSH connection to one host, opened lazily and reopened after it drops. Commands are
 * channels on it, at most `maxChannels` at once (sshd's MaxSessions defaults to 10).
 */

export class SshConnection {
  readonly #target: SshTarget;
  readonly #settings: SshConnectionSettings;
  readonly #channels: Semaphore;
  readonly label: string;
  #client: Client | undefined;
  /** The client still connecting (TCP, banner, handshake): `close()` destroys it at once. */
  #pending: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #sftp: Promise<SFTPWrapper> | undefined;
  #closed = false;
  /** A greeted TCP connection handed over by {@link adopt}, used by the next connect. */
  #adopted: { socket: Socket; expiry: NodeJS.Timeout } | undefined;

  constructor(target: SshTarget, settings: SshConnectionSettings) {
    this.#target = target;
    this.#settings = settings;
    this.#channels = new Semaphore(settings.maxChannels);
    this.label = `${target.username}@${target.host}:${target.port ?? 22}`;
  }

  /**
   * Runs `use` with a channel slot held and a live client. `signal` is honoured while waiting
   * for a slot and while connecting (the shared connection attempt goes on for other callers).
   */
  withChannel<T>(use: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#channels.run(async () => use(await this.#clientUnlessAborted(signal)), signal);
  }

  async #clientUnlessAborted(signal: AbortSignal | undefined): Promise<Client> {
    if (!signal) return this.client();
    try {
      return await untilAborted(() => this.client(), signal);
    } catch (error) {
      if (signal.aborted) throw new AbortedError(`connecting to ${this.label}`, { cause: signal.reason });
      throw error;
    }
  }

  /** The live client, connecting first if needed; concurrent callers share one attempt. */
  client(): Promise<Client> {
    if (this.#closed) return Promise.reject(new ConnectionError(this.label, 'the pool was closed'));
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** An SFTP session on the connection, opened once and reused. */
  sftp(): Promise<SFTPWrapper> {
    this.#sftp ??= this.client().then(
      (client) =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          client.sftp((error, sftp) => (error ? reject(new ConnectionError(this.label, `SFTP: ${error.message}`, { cause: error })) : resolve(sftp)));
        }),
    );
    this.#sftp.catch(() => {
      this.#sftp = undefined;
    });
    return this.#sftp;
  }

  /**
   * Hands over a TCP connection to this target whose server has already sent its greeting
   * (kept unread on the socket, see `waitForSshGreeting`): the next connect runs the SSH
   * handshake on it instead of dialing, which spares the server a second accept (on a booting
   * guest under emulation, sshd's fork and re-exec cost hundreds of milliseconds). Ignored
   * (the socket closed) when a connection is already up; closed if unused after 30 s.
   */
  adopt(socket: Socket): void {
    this.#dropAdopted();
    if (this.#closed || this.#client) return void socket.destroy();
    const expiry = setTimeout(() => this.#dropAdopted(), ADOPTED_SOCKET_TTL_MS).unref();
    this.#adopted = { socket, expiry };
  }

  #dropAdopted(): void {
    if (!this.#adopted) return;
    clearTimeout(this.#adopted.expiry);
    this.#adopted.socket.destroy();
    this.#adopted = undefined;
  }

  /**
   * Drops the current TCP connection (the next command reconnects): a graceful end, and the
   * socket destroyed if the peer has not closed it within {@link GRACEFUL_END_MS} (a stopped
   * peer never does). Resolves once the socket is closed.
   */
  drop(): Promise<void> {
    const client = this.#client;
    this.#forget();
    return client ? endWithin(client, GRACEFUL_END_MS) : Promise.resolve();
  }

  /**
   * Gives up `client` when it is still the connection in use: its socket is destroyed at once
   * (its channels fail) and the next command reconnects. For a peer that stopped answering,
   * where a graceful end would wait on it.
   */
  giveUp(client: Client): void {
    if (this.#client === client) this.#forget();
    destroySocket(client);
  }

  /**
   * Closes for good. A connect still under way is destroyed now, not left to its timeout: a
   * host that accepted and never sent a banner must not keep the process alive. Resolves once
   * the socket is closed, within {@link GRACEFUL_END_MS} whatever the peer does.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#dropAdopted();
    this.#pending?.destroy();
    this.#pending = undefined;
    return this.drop();
  }

  #forget(): void {
    this.#client = undefined;
    this.#sftp = undefined;
  }

  async #connect(): Promise<Client> {
    const target = this.#target;
    const port = target.port ?? 22;
    let mismatch: HostKeyMismatchError | undefined;
    let verifyError: unknown;
    const config: ConnectConfig = {
      host: target.host,
      port,
      username: target.username,
      readyTimeout: this.#settings.connectTimeoutMs,
      keepaliveInterval: this.#settings.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verifyHostKey(target.hostKey, target.host, port, key).then(
          (verdict) => {
            if (!verdict.accepted) mismatch = new HostKeyMismatchError(this.label, verdict.expected, fingerprintSha256(key));
            verify(verdict.accepted);
          },
          (error: unknown) => {
            verifyError = error;
            verify(false);
          },
        );
      },
    };
    const algorithms = await hostKeyAlgorithms(target.hostKey, target.host, port).catch((error: unknown) => {
      throw new ConnectionError(this.label, `could not read the known host keys: ${(error as Error).message}`, { cause: error, isRetryable: false });
    });
    if (algorithms) config.algorithms = { serverHostKey: algorithms };
    if (target.privateKey !== undefined) config.privateKey = Secret.isSecret(target.privateKey) ? target.privateKey.reveal() : target.privateKey;
    else if (target.privateKeyPath !== undefined) config.privateKey = await readPrivateKey(target.privateKeyPath);
    if (target.passphrase) config.passphrase = target.passphrase.reveal();
    if (target.password) config.password = target.password.reveal();
    if (target.agent) config.agent = target.agent;
    config.authHandler = sshAuthOrder(target);
    if (this.#closed) throw new ConnectionError(this.label, 'the pool was closed', { isRetryable: false });

    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      this.#pending = client;
      let ready = false;
      client.once('ready', () => {
        if (this.#pending === client) this.#pending = undefined;
        if (this.#closed) {
          client.destroy();
          return reject(new ConnectionError(this.label, 'the pool was closed', { isRetryable: false }));
        }
        ready = true;
        // Commands are small request/answer exchanges (a command frame, then its markers and
        // exit status): Nagle's algorithm would hold each small write until the peer's delayed
        // ACK (~40 ms on Linux).
        client.setNoDelay(true);
        this.#client = client;
        resolve(client);
      });
      client.on('error', (error: Error & { level?: string }) => {
        if (ready) return; // a later 'close' forgets the client; running commands see their channel close
        if (mismatch) return reject(mismatch);
        if (verifyError) return reject(new ConnectionError(this.label, 'could not check the host key', { cause: verifyError }));
        if (error.level === 'client-authentication') return reject(new AuthenticationError(this.label, error.message, { cause: error }));
        reject(new ConnectionError(this.label, error.message, { cause: error }));
      });
      client.on('close', () => {
        if (this.#pending === client) this.#pending = undefined;
        if (this.#client === client) this.#forget();
        if (!ready) reject(mismatch ?? (this.#closed ? new ConnectionError(this.label, 'the pool was closed', { isRetryable: false }) : new ConnectionError(this.label, 'connection closed during handshake')));
      });
      this.#settings.onConnect();
      if (this.#adopted) {
        clearTimeout(this.#adopted.expiry);
        config.sock = this.#adopted.socket;
        this.#adopted = undefined;
      }
      try {
        client.connect(config);
      } catch (error) {
        // ssh2 parses the key (and checks the passphrase) synchronously, before any network I/O.
        const field = target.privateKey !== undefined ? 'privateKey' : 'privateKeyPath';
        const message = (error as Error).message;
        reject(/privateKey|passphrase/i.test(message) ? new InvalidInputError(field, message, { cause: error }) : new ConnectionError(this.label, message, { cause: error }));
      }
    });
  }
}

/** How long a graceful end of a connection may take before its socket is destroyed. */
export const GRACEFUL_END_MS = 2000;

/** Ends `client` gracefully; destroys its socket if it is not closed within `ms`. */
function endWithin(client: Client, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => destroySocket(client), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // A client whose socket is already gone emits nothing more.
    if (socketOf(client)?.destroyed ?? true) {
      clearTimeout(timer);
      return resolve();
    }
    client.end();
  });
}

/**
 * ssh2's own `destroy()` does nothing once `end()` has run (it only destroys a writable socket),
 * so a half-closed socket to a stopped peer is destroyed here directly.
 */
function destroySocket(client: Client): void {
  client.destroy();
  socketOf(client)?.destroy();
}

function socketOf(client: Client): Duplex | undefined {
  return (client as unknown as { _sock?: Duplex })._sock;
}

/** Reads a key file; an unreadable one is bad input, refused before connecting. */
async function readPrivateKey(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new InvalidInputError('privateKeyPath', `cannot read ${path}: ${why}`, { cause: error });
  }
}

const earlyExits = new WeakMap<ClientChannel, { exitCode: number | null; signal: string | null }>();

/** The exit status a channel reported, even when it came before any listener was attached. */
export function exitStatusOf(channel: ClientChannel): { exitCode: number | null; signal: string | null } | undefined {
  return earlyExits.get(channel);
}

/** Opens an exec channel, mapping failures to typed errors. */
export function openExec(client: Client, label: string, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (error, channel) => {
        if (error) return reject(new ConnectionError(label, `could not open a channel: ${error.message}`, { cause: error }));
        // ssh2 can emit a fast command's 'exit' in the same tick as this callback (exec reply and
        // exit status parsed from one chunk), before the caller's listeners exist: keep it.
        channel.once('exit', (code: number | null, signal?: string) => earlyExits.set(channel, { exitCode: typeof code === 'number' ? code : null, signal: signal ?? null }));
        resolve(channel);
      });
    } catch (error) {
      reject(ProvkitError.isInstance(error) ? error : new ConnectionError(label, (error as Error).message, { cause: error }));
    }
  });
}
