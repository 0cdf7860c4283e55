import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { createEmitter, type ProvkitEmitter, InvalidInputError, type Secret } from '@provkit/core';
import type { Command, CommandResult, CommandRunner, RunOptions, TransferOptions } from './command-runner.ts';
import { killRemoteGroup, startExecChannel } from './exec-channel.ts';
import { DEFAULT_KILL_GRACE_MS, execute, type ProcessHandle } from './execution.ts';
import { ShellUnsupportedError } from './remote-shell.ts';
import { RemoteShellPool } from './remote-shell-pool.ts';
import { commandText, displayCommand } from './render-command.ts';
import { checkSshTarget } from './ssh-target-input.ts';
import { SftpTransfers } from './sftp-transfer.ts';
import { SshConnection } from './ssh-connection.ts';
import type { SshTarget } from './ssh-options.ts';

/** Options of {@link SshPool}. */
export interface SshPoolOptions {
  /** Concurrent channels (commands) per connection; keep below sshd's MaxSessions (10). Default 8. */
  maxChannelsPerConnection?: number;
  /** Bound on TCP connect + handshake + auth (default 20 s). */
  connectTimeoutMs?: number;
  /** Default per-command timeout (default 10 min). */
  commandTimeoutMs?: number;
  /** SSH keepalive interval; a connection missing 3 is dropped and reopened (default 15 s). */
  keepaliveIntervalMs?: number;
  /**
   * How long a command stopped by its timeout or abort may take to confirm its end (default
   * 5 s). Past it the caller gets its error anyway (saying the remote process was not
   * confirmed killed) and the connection is given up as unresponsive: its socket is destroyed
   * and the next command reconnects. A frozen peer thus holds a command at most this long past
   * its deadline.
   */
  killGraceMs?: number;
  /** Where `command` events go (default: a new emitter, see {@link SshPool.events}). */
  events?: ProvkitEmitter | undefined;
  /**
   * How commands reach a POSIX host. `persistent-shell` (default): each connection keeps a few
   * running `sh` processes, one per channel, and frames commands through them, so the account's
   * login shell (its profile, `.bashrc`, banners) runs once per shell instead of once per
   * command. `exec`: one exec channel per command, the login shell every time. Targets with
   * `remoteShell: 'other'`, and hosts without `setsid` or a FIFO in their temp directory, always use `exec`.
   */
  remoteCommands?: 'persistent-shell' | 'exec';
  /**
   * Persistent shells per connection, hence commands running at once through them (default 4).
   * Together with `maxChannelsPerConnection` keep it below sshd's MaxSessions.
   */
  shellsPerConnection?: number;
}

/** Counters of a pool. */
export interface SshPoolStats {
  /** TCP connections opened since the pool was made (reconnects included). */
  connectionsOpened: number;
  /** Connections currently held. */
  hosts: number;
  /** Persistent shells started since the pool was made (replacements included). */
  shellsStarted: number;
}

/**
 * Keeps **one SSH connection per host** (user, host, port) and runs every command as a
 * channel on it: a hundred commands to a host cost one TCP connection and one handshake.
 * A dropped connection is reopened by the next command. Close the pool when done.
 */
export class SshPool {
  readonly events: ProvkitEmitter;
  readonly #options: Required<Omit<SshPoolOptions, 'events'>>;
  readonly #connections = new Map<string, { connection: SshConnection; runner: SshRunner }>();
  #opened = 0;
  #shellsStarted = 0;

  constructor(options: SshPoolOptions = {}) {
    this.events = options.events ?? createEmitter();
    this.#options = {
      maxChannelsPerConnection: options.maxChannelsPerConnection ?? 8,
      connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 600_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
      killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      remoteCommands: options.remoteCommands ?? 'persistent-shell',
      shellsPerConnection: options.shellsPerConnection ?? 4,
    };
    if (!Number.isInteger(this.#options.killGraceMs) || this.#options.killGraceMs < 1) {
      throw new InvalidInputError('killGraceMs', `must be a positive integer of milliseconds, got ${this.#options.killGraceMs}`);
    }
    if (!Number.isInteger(this.#options.shellsPerConnection) || this.#options.shellsPerConnection < 1) {
      throw new InvalidInputError('shellsPerConnection', `must be a positive integer, got ${this.#options.shellsPerConnection}`);
    }
  }

  /**
   * The runner for `target`; the same target (user, host, port) always shares one connection.
   * A target asking for another host-key policy or another way to authenticate gets a
   * connection of its own: a connection verified under a weaker policy never serves a
   * stricter one.
   */
  runner(target: SshTarget): SshRunner {
    checkSshTarget(target);
    const key = connectionKey(target);
    let entry = this.#connections.get(key);
    if (!entry) {
      const connection = new SshConnection(target, {
        maxChannels: this.#options.maxChannelsPerConnection,
        connectTimeoutMs: this.#options.connectTimeoutMs,
        keepaliveIntervalMs: this.#options.keepaliveIntervalMs,
        onConnect: () => {
          this.#opened++;
        },
      });
      const posix = (target.remoteShell ?? 'posix') === 'posix';
      const shells =
        posix && this.#options.remoteCommands === 'persistent-shell'
          ? new RemoteShellPool({
              label: connection.label,
              maxShells: this.#options.shellsPerConnection,
              openTimeoutMs: this.#options.connectTimeoutMs,
              // Within the command's grace, so a healthy connection is never given up for it.
              stuckShellMs: Math.ceil(this.#options.killGraceMs / 2),
              onShellStarted: () => {
                this.#shellsStarted++;
              },
            })
          : undefined;
      entry = {
        connection,
        runner: new SshRunner({ connection, events: this.events, timeoutMs: this.#options.commandTimeoutMs, killGraceMs: this.#options.killGraceMs, posix, shells }),
      };
      this.#connections.set(key, entry);
    }
    return entry.runner;
  }

  /**
   * Closes and forgets the connection for `target`, if the pool holds one: the next command
   * connects afresh and checks the host key again (for a machine replaced at that address).
   */
  drop(target: SshTarget): void {
    const key = connectionKey(target);
    void this.#connections.get(key)?.connection.close();
    this.#connections.delete(key);
  }

  /** Connection counters. */
  get stats(): SshPoolStats {
    return { connectionsOpened: this.#opened, hosts: this.#connections.size, shellsStarted: this.#shellsStarted };
  }

  /**
   * Closes every connection (and the persistent shells on them): each ends gracefully, and its
   * socket is destroyed if the peer has not closed it within 2 s (a stopped peer never does), so
   * a pool never holds the process. Resolves once every socket is closed.
   */
  async close(): Promise<void> {
    const closing = [...this.#connections.values()].map(({ connection }) => connection.close());
    this.#connections.clear();
    await Promise.all(closing);
  }
}

function connectionKey(target: SshTarget): string {
  const auth = target.privateKeyPath ?? (target.privateKey !== undefined ? 'inline-key' : target.agent !== undefined ? `agent:${target.agent}` : 'password');
  const policy = JSON.stringify(target.hostKey);
  return `${target.username}@${target.host}:${target.port ?? 22} ${auth} ${target.remoteShell ?? 'posix'} ${policy}`;
}

/** What {@link SshRunner} is made of (see {@link SshPool.runner}). */
interface SshRunnerParts {
  connection: SshConnection;
  events: ProvkitEmitter;
  timeoutMs: number;
  /** See {@link SshPoolOptions.killGraceMs}. */
  killGraceMs: number;
  /** Whether the login shell is POSIX (so process groups can be learned and killed). */
  posix: boolean;
  /** The connection's persistent shells, when commands go through them. */
  shells: RemoteShellPool | undefined;
}

/** A {@link CommandRunner} over one pooled SSH connection. Get one from {@link SshPool.runner}. */
export class SshRunner implements CommandRunner {
  readonly target: string;
  readonly events: ProvkitEmitter;
  readonly #connection: SshConnection;
  readonly #timeoutMs: number;
  readonly #killGraceMs: number;
  readonly #posix: boolean;
  readonly #shells: RemoteShellPool | undefined;
  readonly #transfers: SftpTransfers;

  /** @internal Made by {@link SshPool.runner}. */
  constructor(parts: SshRunnerParts) {
    const { connection } = parts;
    this.#connection = connection;
    this.#transfers = new SftpTransfers(() => connection.sftp(), connection.label, parts.timeoutMs);
    this.events = parts.events;
    this.#timeoutMs = parts.timeoutMs;
    this.#killGraceMs = parts.killGraceMs;
    this.#posix = parts.posix;
    this.#shells = parts.shells;
    this.target = connection.label;
  }

  /**
   * Hands over a TCP connection to this runner's host and port whose SSH server has already
   * greeted (from `waitForSshGreeting`): the next connection is made on it instead of a new
   * dial. See {@link CommandRunner.adoptConnection}.
   */
  adoptConnection(socket: Socket): void {
    this.#connection.adopt(socket);
  }

  run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const text = commandText(command);
    const secrets = options.secrets ?? [];
    const display = displayCommand(text, secrets);
    const base = { target: this.target, display, events: this.events, defaultTimeoutMs: this.#timeoutMs, secrets, killGraceMs: this.#killGraceMs };
    return this.#connection.withChannel(async (client) => {
      // A command that cannot be stopped within the grace means the peer stopped answering.
      const context = { ...base, onUnresponsive: () => this.#connection.giveUp(client) };
      const start = async (): Promise<ProcessHandle> => {
        const shells = this.#shells;
        if (shells?.supported) {
          try {
            return await shells.start({
              client,
              text,
              withStdin: options.stdin !== undefined,
              killGroup: (pgid) => killRemoteGroup(client, pgid),
              signal: options.signal,
            });
          } catch (error) {
            // A host that cannot run the shell program still runs commands, one channel each.
            if (!(error instanceof ShellUnsupportedError)) throw error;
          }
        }
        return startExecChannel({ client, label: this.target, text, posix: this.#posix, withStdin: options.stdin !== undefined });
      };
      return execute(start, context, options);
    }, options.signal);
  }

  /** Writes `data` over SFTP; bounded by `options.timeoutMs` (default: the pool's command timeout) and `signal`. */
  writeFile(remotePath: string, data: string | Uint8Array | Secret, options: TransferOptions = {}): Promise<void> {
    return this.#transfers.writeFile(remotePath, data, options);
  }

  /** Uploads a local file over SFTP; bounded like {@link SshRunner.writeFile}. */
  uploadFile(localPath: string, remotePath: string, options: TransferOptions = {}): Promise<void> {
    return this.#transfers.uploadFile(localPath, remotePath, options);
  }

  /** Downloads a remote file over SFTP; bounded like {@link SshRunner.writeFile}. */
  downloadFile(remotePath: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    return this.#transfers.downloadFile(remotePath, localPath, options);
  }

  /** Streams a remote file into `sink` over SFTP; bounded like {@link SshRunner.writeFile}. */
  downloadStream(remotePath: string, sink: Writable, options: TransferOptions = {}): Promise<void> {
    return this.#transfers.downloadStream(remotePath, sink, options);
  }

  /** Streams `source` into a remote file over SFTP; bounded like {@link SshRunner.writeFile}. */
  uploadStream(source: Readable, remotePath: string, options: TransferOptions = {}): Promise<void> {
    return this.#transfers.uploadStream(source, remotePath, options);
  }

  /** Drops the TCP connection under this runner; the next command reconnects. For tests and recovery. */
  disconnect(): void {
    void this.#connection.drop();
  }
}
