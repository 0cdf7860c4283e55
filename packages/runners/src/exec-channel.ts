import { PassThrough, Writable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { shellQuote, ConnectionError } from '@provkit/core';
import type { ProcessHandle } from './execution.ts';
import { exitStatusOf, openExec } from './ssh-connection.ts';

/** Options of {@link startExecChannel}. */
export interface ExecChannelOptions {
  client: Client;
  label: string;
  text: string;
  /** Whether the login shell is POSIX (then the command's process group is learned, killed, and watched). */
  posix: boolean;
  /** Whether the command is given stdin (else the channel's input is kept open as a watch on the channel). */
  withStdin: boolean;
}

/** Starts `text` on its own exec channel (the login shell runs it), as a process handle. */
export async function startExecChannel(options: ExecChannelOptions): Promise<ProcessHandle> {
  if (!options.posix) return channelHandle(await openExec(options.client, options.label, options.text), options.label);
  const channel = await openExec(options.client, options.label, posixWrap(options.text, options.withStdin));
  const handle = posixChannelHandle(options.client, channel, options.label);
  // The channel's input is never ended for a command without stdin: its end of file, on the
  // host, means the channel is gone (see posixWrap).
  return options.withStdin ? handle : { ...handle, stdin: discardingInput() };
}

/** A sink for the empty input of a command that gets none. */
function discardingInput(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}

/** Kills the remote process group `pgid` through a channel of its own. */
export function killRemoteGroup(client: Client, pgid: number, onDone: (ok: boolean) => void = () => {}): void {
  if (!Number.isInteger(pgid) || pgid <= 1) return onDone(false);
  try {
    // No `--`: dash's kill (a login shell of /bin/sh) refuses it, and `-KILL -<pgid>` means a group everywhere.
    client.exec(`kill -KILL -${pgid} 2>/dev/null; kill -KILL ${pgid} 2>/dev/null; true`, (error, killer) => {
      if (error) return onDone(false);
      killer.resume();
      killer.stderr.resume();
      killer.once('close', () => onDone(true));
    });
  } catch {
    onDone(false);
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
 * The wrapper reports it on the first stderr line. A command with stdin is then `exec`ed in
 * that group. One without runs with `/dev/null` as input while a watcher in the group reads
 * the channel's input, which the runner never ends: end of file there means the channel is
 * gone (connection lost, orchestrator dead), and the watcher kills the whole group, so the
 * command does not run on without its operation. (A command fed stdin cannot be watched this
 * way: the end of its input is an end of file too.)
 */
function posixWrap(text: string, withStdin: boolean): string {
  const command = shellQuote(text);
  if (withStdin) return `echo ${PID_MARKER}$$ >&2; exec /bin/sh -c ${command}`;
  return [
    `echo ${PID_MARKER}$$ >&2`,
    'exec 3<&0',
    '{ while IFS= read -r _; do :; done; kill -KILL 0; } <&3 &',
    'provkit_watch=$!',
    `/bin/sh -c ${command} </dev/null 3<&-`,
    'provkit_status=$?',
    'kill "$provkit_watch" 2>/dev/null',
    'exit "$provkit_status"',
  ].join('\n');
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
    killRemoteGroup(client, pid, (ok) => (ok ? channel.close() : handle.kill()));
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
