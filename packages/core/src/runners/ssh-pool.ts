import { PassThrough } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { shellQuote } from '../shell/index.ts';
import { ConnectionError } from '../errors/index.ts';
import { createEmitter, type ProvkitEmitter } from '../events/index.ts';
import type { Secret } from '../secret/index.ts';
import type { Command, CommandResult, CommandRunner, RunOptions, TransferOptions } from './command-runner.ts';
import { execute, type ProcessHandle } from './execution.ts';
import { commandText, displayCommand } from './render-command.ts';
import { assertSshTarget } from './ssh-target-input.ts';
import { SftpTransfers } from './sftp-transfer.ts';
import { exitStatusOf, openExec, SshConnection } from './ssh-connection.ts';
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
  /** Where `command` events go (default: a new emitter, see {@link SshPool.events}). */
  events?: ProvkitEmitter;
}

/** Counters of a pool. */
export interface SshPoolStats {
  /** TCP connections opened since the pool was made (reconnects included). */
  connectionsOpened: number;
  /** Connections currently held. */
  hosts: number;
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

  constructor(options: SshPoolOptions = {}) {
    this.events = options.events ?? createEmitter();
    this.#options = {
      maxChannelsPerConnection: options.maxChannelsPerConnection ?? 8,
      connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 600_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
    };
  }

  /**
   * The runner for `target`; the same target (user, host, port) always shares one connection.
   * A target asking for another host-key policy or another way to authenticate gets a
   * connection of its own: a connection verified under a weaker policy never serves a
   * stricter one.
   */
  runner(target: SshTarget): SshRunner {
    assertSshTarget(target);
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
      entry = { connection, runner: new SshRunner(connection, this.events, this.#options.commandTimeoutMs, target.remoteShell ?? 'posix') };
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
    this.#connections.get(key)?.connection.close();
    this.#connections.delete(key);
  }

  /** Connection counters. */
  get stats(): SshPoolStats {
    return { connectionsOpened: this.#opened, hosts: this.#connections.size };
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    for (const { connection } of this.#connections.values()) connection.close();
    this.#connections.clear();
  }
}

function connectionKey(target: SshTarget): string {
  const auth = target.privateKeyPath ?? (target.privateKey !== undefined ? 'inline-key' : target.agent !== undefined ? `agent:${target.agent}` : 'password');
  const policy = JSON.stringify(target.hostKey);
  return `${target.username}@${target.host}:${target.port ?? 22} ${auth} ${target.remoteShell ?? 'posix'} ${policy}`;
}

/** A {@link CommandRunner} over one pooled SSH connection. Get one from {@link SshPool.runner}. */
export class SshRunner implements CommandRunner {
  readonly target: string;
  readonly events: ProvkitEmitter;
  readonly #connection: SshConnection;
  readonly #timeoutMs: number;
  readonly #posix: boolean;
  readonly #transfers: SftpTransfers;

  /** @internal Made by {@link SshPool.runner}. */
  constructor(connection: SshConnection, events: ProvkitEmitter, timeoutMs: number, remoteShell: 'posix' | 'other') {
    this.#connection = connection;
    this.#transfers = new SftpTransfers(() => connection.sftp(), connection.label, timeoutMs);
    this.events = events;
    this.#timeoutMs = timeoutMs;
    this.#posix = remoteShell === 'posix';
    this.target = connection.label;
  }

  run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const text = commandText(command);
    const secrets = options.secrets ?? [];
    const display = displayCommand(text, secrets);
    const context = { target: this.target, display, events: this.events, defaultTimeoutMs: this.#timeoutMs, secrets };
    return this.#connection.withChannel(async (client) => {
      const start = async (): Promise<ProcessHandle> => {
        if (!this.#posix) return channelHandle(await openExec(client, this.target, text), this.target);
        return posixChannelHandle(client, await openExec(client, this.target, posixWrap(text)), this.target);
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

  /** Drops the TCP connection under this runner; the next command reconnects. For tests and recovery. */
  disconnect(): void {
    this.#connection.drop();
  }
}

function channelHandle(channel: ClientChannel, label: string): ProcessHandle {
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
    let status: { exitCode: number | null; signal: string | null } | undefined;
    channel.once('exit', (code: number | null, signal?: string) => {
      status = { exitCode: typeof code === 'number' ? code : null, signal: signal ?? null };
    });
    channel.once('close', () => {
      status ??= exitStatusOf(channel);
      if (status) resolve(status);
      else reject(new ConnectionError(label, 'the channel closed before the command exited (connection lost?)'));
    });
  });
  return {
    stdout: channel,
    stderr: channel.stderr,
    stdin: channel,
    exited,
    kill: () => {
      // OpenSSH honours the "signal" request; closing the channel ends the session either way.
      try {
        channel.signal('KILL');
      } catch {
        // Not fatal: close() below still tears the session down.
      }
      channel.close();
    },
  };
}

const PID_MARKER = 'provkit-pid:';
/** How long a kill waits for the wrapper's PID line before it falls back to closing the channel. */
const PID_REPORT_TIMEOUT_MS = 5000;

/**
 * sshd makes each session's command a session leader, so `$$` is also its process group.
 * The wrapper reports it on the first stderr line, then `exec`s the command in that group.
 */
function posixWrap(text: string): string {
  return `echo ${PID_MARKER}$$ >&2; exec /bin/sh -c ${shellQuote(text)}`;
}

/**
 * Like {@link channelHandle}, but strips the PID line from stderr and kills the remote process
 * group through a second channel: OpenSSH does not deliver the `signal` request to a session
 * under privilege separation, and a closed channel alone leaves the command running.
 */
function posixChannelHandle(client: Client, channel: ClientChannel, label: string): ProcessHandle {
  const handle = channelHandle(channel, label);
  const stderr = new PassThrough();
  let pid: number | undefined;
  let killWanted = false;
  let head: Buffer | undefined = Buffer.alloc(0);
  const killGroup = (): void => {
    if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return handle.kill();
    client.exec(`kill -KILL -- -${pid} 2>/dev/null; kill -KILL ${pid} 2>/dev/null; true`, (error, killer) => {
      if (error) return handle.kill();
      killer.resume();
      killer.stderr.resume();
      killer.once('close', () => channel.close());
    });
  };
  channel.stderr.on('data', (chunk: Buffer) => {
    if (head === undefined) return void stderr.write(chunk);
    head = Buffer.concat([head, chunk]);
    const newline = head.indexOf(10);
    if (newline < 0 && head.length < 64) return;
    const line = head.subarray(0, newline < 0 ? head.length : newline).toString('latin1');
    const rest = head.subarray(newline < 0 ? head.length : newline + 1);
    head = undefined;
    if (line.startsWith(PID_MARKER)) pid = Number(line.slice(PID_MARKER.length));
    else stderr.write(Buffer.from(`${line}\n`));
    if (rest.length > 0) stderr.write(rest);
    if (killWanted) killGroup();
  });
  channel.stderr.once('end', () => {
    if (head !== undefined && head.length > 0) stderr.write(head);
    stderr.end();
  });
  return {
    ...handle,
    stderr,
    kill: () => {
      if (killWanted) return;
      killWanted = true;
      if (head === undefined) return killGroup();
      // Stopped before the wrapper reported its PID (an abort or timeout right after the channel
      // opened): closing the channel now would leave the command running, so the kill waits for
      // the PID line, but not past a bound in case it never comes.
      setTimeout(() => {
        if (head !== undefined) handle.kill();
      }, PID_REPORT_TIMEOUT_MS).unref();
    },
  };
}
