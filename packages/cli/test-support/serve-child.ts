/** Runs the real `provkit serve` as a child process and speaks its protocol, for tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The CLI's entry, run from source (the `provkit-source` export condition). */
export const CLI_ENTRY = join(import.meta.dirname, '..', 'src', 'cli.ts');

/** One message the server wrote. */
export type ServeMessage = Record<string, any>;

/** A running `provkit serve` child and what it wrote. */
export interface ServeChild {
  child: ChildProcessWithoutNullStreams;
  /** Every message read from stdout so far, in order. */
  messages: ServeMessage[];
  /** What the server wrote on stderr. */
  stderr: () => string;
  /** Writes one line (a message, or anything for the invalid-input tests). */
  sendLine(line: string): void;
  /** Sends a request and resolves with its response (the message with that id and no method). */
  request(id: number | string, method: string, params?: unknown): Promise<ServeMessage>;
  /** Sends a notification. */
  notify(method: string, params?: unknown): void;
  /** Resolves with the first message (already read or to come) that `match` accepts. */
  next(match: (message: ServeMessage) => boolean): Promise<ServeMessage>;
  /** Resolves with the exit code once the child has exited. */
  exited: Promise<number | null>;
}

/** Starts `provkit serve --config <config>` in `cwd`. */
export function startServe(options: { cwd: string; config: string; args?: string[] }): ServeChild {
  const child = spawn(process.execPath, ['--conditions=provkit-source', CLI_ENTRY, 'serve', '--config', options.config, ...(options.args ?? [])], { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: ServeMessage[] = [];
  const waiters: Array<{ match: (message: ServeMessage) => boolean; resolve: (message: ServeMessage) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as ServeMessage;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.match(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = (match: (message: ServeMessage) => boolean): Promise<ServeMessage> => {
    const seen = messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ match, resolve });
      void exited.then(() => reject(new Error(`provkit serve exited before the awaited message; stderr: ${stderr}`)));
    });
  };
  const sendLine = (line: string): void => void child.stdin.write(`${line}\n`);
  return {
    child,
    messages,
    stderr: () => stderr,
    sendLine,
    request(id, method, params) {
      sendLine(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
      return next((message) => message.id === id && message.method === undefined);
    },
    notify(method, params) {
      sendLine(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }));
    },
    next,
    exited,
  };
}
