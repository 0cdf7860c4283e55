import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fingerprintSha256 } from '@provkit/runners';
import { Server, utils, type Connection, type ParsedKey, type ServerChannel } from 'ssh2';
import { decodeCommand } from '../src/powershell/encode-command.ts';

/**
 * One exchange with a Windows OpenSSH host, authored from Microsoft's documentation (no
 * Windows guest can run here; nothing was captured from a host): the PowerShell script the
 * module must send (decoded from `-EncodedCommand`), the stdin it must feed, and what Windows
 * answers according to that documentation.
 */
export interface TranscriptStep {
  /** What the exchange is, for people reading the fixture. */
  note?: string;
  /** The decoded script, one array item per line (the script ends with a newline). */
  script: string[];
  /** Exact stdin expected; an array is lines joined with `\n`. Default: empty. */
  stdin?: string | string[];
  /** Instead of `stdin`: a regular expression the whole stdin must match (for random passwords). */
  stdinPattern?: string;
  /** Standard output; an array is lines each ended with CRLF, as Windows prints them. */
  stdout?: string | string[];
  stderr?: string;
  exitCode?: number;
  /** The host went away mid-command: the connection closes with no exit status. */
  drop?: boolean;
  /** The command never finishes (a hung PowerShell): no answer until the client gives up. */
  hang?: boolean;
  /** After answering: `shutdown` stops listening (connections refused), `restart` drops every connection. */
  after?: 'shutdown' | 'restart';
  /** Answer this step for every further matching request (polls until a deadline). */
  repeat?: boolean;
}

/** A transcript fixture file. */
export interface Transcript {
  /** What the exchange stands for and where its outputs come from (authored from documentation). */
  description: string;
  /**
   * Values the client chooses at run time (a random user name): `{{name}}` in a step's script
   * or `stdinPattern` stands for a match of this regular expression; the first match binds the
   * name, and every later `{{name}}` must be that same text.
   */
  placeholders?: Record<string, string>;
  steps: TranscriptStep[];
}

/** Reads a transcript fixture (JSON). */
export function loadTranscript(path: string | URL): Transcript {
  return JSON.parse(readFileSync(path, 'utf8')) as Transcript;
}

/** An exec request the server saw: the decoded script and the decoded stdin. */
export interface SeenRequest {
  script: string | undefined;
  stdin: string;
}

const joinLines = (value: string | string[] | undefined, separator: string, trailing: string): string =>
  value === undefined ? '' : Array.isArray(value) ? value.map((line) => line + trailing).join(separator) : value;

/**
 * A loopback SSH server (ssh2's `Server`) that plays a Windows OpenSSH host from a transcript:
 * each exec request is decoded and matched, with its stdin, against the next expected step,
 * then answered with the transcript's output. An unexpected request is answered with exit 255 and
 * recorded as a failure for {@link TranscriptServer.assertDone}.
 */
export class TranscriptServer {
  readonly username = 'Administrator';
  readonly clientPrivateKey: string;
  readonly hostKeyFingerprint: string;
  readonly failures: string[] = [];
  readonly seen: SeenRequest[] = [];
  #steps: TranscriptStep[];
  #placeholders: Record<string, string>;
  #bound = new Map<string, string>();
  #index = 0;
  #server: Server;
  #connections = new Set<Connection>();
  #port = 0;
  #listening = false;

  constructor(transcript: Transcript) {
    this.#steps = transcript.steps;
    this.#placeholders = transcript.placeholders ?? {};
    const host = generateKeys();
    const client = generateKeys();
    this.clientPrivateKey = client.private;
    const hostBlob = Buffer.from(host.public.split(' ')[1]!, 'base64');
    this.hostKeyFingerprint = fingerprintSha256(hostBlob);
    const allowedKey = client.parsedPublic;
    this.#server = new Server({ hostKeys: [host.private] }, (connection) => {
      this.#connections.add(connection);
      // Without it each answer waits for the client's delayed ACK (~40 ms a command on loopback).
      // (ssh2 has Connection.setNoDelay; its type definitions lack it.)
      (connection as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
      connection.on('close', () => this.#connections.delete(connection));
      connection.on('error', () => {});
      connection.on('authentication', (context) => {
        const keyMatches =
          context.method === 'publickey' &&
          context.username === this.username &&
          context.key.algo === allowedKey.type &&
          context.key.data.equals(allowedKey.getPublicSSH()) &&
          (!context.signature || allowedKey.verify(context.blob!, context.signature, context.hashAlgo) === true);
        if (keyMatches) context.accept();
        else context.reject(['publickey']);
      });
      connection.on('ready', () => {
        connection.on('session', (acceptSession) => {
          const session = acceptSession();
          session.on('exec', (acceptExec, _reject, info) => this.#exec(connection, acceptExec(), info.command));
        });
      });
    });
  }

  /** Starts listening on 127.0.0.1 (a free port) and returns the port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#listening = true;
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  /** SSH connections currently open to this server. */
  get openConnections(): number {
    return this.#connections.size;
  }

  /** Throws unless every step was answered and nothing unexpected was asked. */
  assertDone(): void {
    const remaining = this.#steps.slice(this.#index).filter((step) => !step.repeat);
    const problems = [...this.failures];
    if (remaining.length > 0) problems.push(`${remaining.length} expected request(s) never came, first: ${remaining[0]!.note ?? remaining[0]!.script.slice(2, 4).join(' / ')}`);
    if (problems.length > 0) throw new Error(`transcript not followed:\n${problems.join('\n')}`);
  }

  async close(): Promise<void> {
    for (const connection of this.#connections) connection.end();
    if (this.#listening) {
      this.#listening = false;
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    }
  }

  #exec(connection: Connection, channel: ServerChannel, command: string): void {
    const chunks: Buffer[] = [];
    channel.on('data', (chunk: Buffer) => chunks.push(chunk));
    channel.once('end', () => {
      // The module sends stdin base64-encoded (see READ_INPUT); fixtures hold the plain text.
      const wire = Buffer.concat(chunks).toString('latin1');
      const base64 = /^[A-Za-z0-9+/]*={0,2}$/.test(wire) && wire.length % 4 === 0;
      const stdin = base64 ? Buffer.from(wire, 'base64').toString('utf8') : wire;
      const script = decodeCommand(command);
      this.seen.push({ script, stdin });
      if (!base64) this.failures.push(`stdin of ${wire.length} bytes is not base64`);
      const step = base64 ? this.#match(script, stdin) : undefined;
      if (!step) {
        channel.stderr.write('transcript: unexpected request\r\n');
        channel.exit(255);
        channel.end();
        return;
      }
      if (step.hang) return;
      if (step.drop) {
        connection.end();
        this.#after(step);
        return;
      }
      const stdout = joinLines(step.stdout, '', '\r\n').replace(/\{\{([a-z][a-z0-9]*)\}\}/gi, (token, name: string) => this.#bound.get(name) ?? token);
      if (stdout) channel.write(stdout);
      if (step.stderr) channel.stderr.write(step.stderr);
      channel.exit(step.exitCode ?? 0);
      channel.end();
      this.#after(step);
    });
  }

  #after(step: TranscriptStep): void {
    if (step.after === undefined) return;
    // Let the answer reach the client before the host "goes down".
    setImmediate(() => {
      for (const connection of this.#connections) connection.end();
      if (step.after === 'shutdown' && this.#listening) {
        this.#listening = false;
        this.#server.close();
      }
    });
  }

  #match(script: string | undefined, stdin: string): TranscriptStep | undefined {
    const step = this.#steps[this.#index];
    const number = this.#index + 1;
    if (!step) {
      this.failures.push(`request after the transcript ended: ${firstLines(script)}`);
      return undefined;
    }
    const expected = step.script.join('\n') + '\n';
    const scriptMatch = script === undefined ? null : this.#pattern(escapeRegExp(expected)).exec(script);
    if (!scriptMatch) {
      this.failures.push(`step ${number} (${step.note ?? ''}): script differs at ${describeDifference(expected, script)}`);
      return undefined;
    }
    const stdinMatch = step.stdinPattern !== undefined ? this.#pattern(step.stdinPattern).exec(stdin) : null;
    const stdinOk = step.stdinPattern !== undefined ? stdinMatch !== null : stdin === joinLines(step.stdin, '\n', '');
    if (!stdinOk) {
      this.failures.push(`step ${number} (${step.note ?? ''}): unexpected stdin of ${stdin.length} characters`);
      return undefined;
    }
    for (const match of [scriptMatch, stdinMatch]) {
      for (const [name, value] of Object.entries(match?.groups ?? {})) if (value !== undefined) this.#bound.set(name, value);
    }
    if (!step.repeat) this.#index++;
    return step;
  }

  /** A whole-text regular expression from `source`, with `{{name}}` placeholders filled in. */
  #pattern(source: string): RegExp {
    const seen = new Set<string>();
    const filled = source.replace(/\\?\{\\?\{([a-z][a-z0-9]*)\\?\}\\?\}/gi, (_token, name: string) => {
      const bound = this.#bound.get(name);
      if (bound !== undefined) return escapeRegExp(bound);
      const pattern = this.#placeholders[name];
      if (pattern === undefined) throw new Error(`transcript uses {{${name}}} but declares no such placeholder`);
      if (seen.has(name)) return `\\k<${name}>`;
      seen.add(name);
      return `(?<${name}>${pattern})`;
    });
    return new RegExp(`^(?:${filled})$`);
  }
}

/**
 * An ed25519 key pair from ssh2 that ssh2 itself can read back. Now and then ssh2 emits a
 * public key its own parser calls malformed, so such a pair is discarded and made again.
 */
function generateKeys(): { private: string; public: string; parsedPublic: ParsedKey } {
  let problem: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    const keys = utils.generateKeyPairSync('ed25519');
    try {
      const parsedPublic = utils.parseKey(keys.public);
      const parsedPrivate = utils.parseKey(keys.private);
      if (parsedPublic instanceof Error) throw parsedPublic;
      if (parsedPrivate instanceof Error) throw parsedPrivate;
      return { ...keys, parsedPublic: Array.isArray(parsedPublic) ? parsedPublic[0] : parsedPublic };
    } catch (error) {
      problem = error;
    }
  }
  throw new Error('ssh2 made no readable ed25519 key pair in 10 attempts', { cause: problem });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function firstLines(script: string | undefined): string {
  return script === undefined ? '(not an encoded PowerShell command)' : script.split('\n').slice(2, 4).join(' / ');
}

function describeDifference(expected: string, actual: string | undefined): string {
  if (actual === undefined) return 'line 1: not an encoded PowerShell command';
  const want = expected.split('\n');
  const got = actual.split('\n');
  const line = want.findIndex((text, index) => text !== got[index]);
  const at = line < 0 ? want.length : line;
  return `line ${at + 1}: expected ${JSON.stringify(want[at])}, got ${JSON.stringify(got[at])}`;
}
