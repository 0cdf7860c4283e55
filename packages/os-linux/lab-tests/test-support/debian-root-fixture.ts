/**
 * Shared set-up of the os-linux lab tests: a fresh copy of the lab's Debian root (its own sshd
 * in its own namespaces), an SSH pool reaching it as root, the module under test, and helpers
 * that look at the root's files directly from the host.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { resetDebianRoot, execInDebianRoot, type DebianRootLabState } from '@provkit/lab';
import type { CommandEvent, NodeSpec, ProgressEvent, Secret } from '@provkit/core';
import { SshPool, sshRunnerFactory, type CommandRunner } from '@provkit/runners';
import { LinuxOsModule, type LinuxOsModuleOptions } from '@provkit/os-linux';

export interface DebianRootFixture {
  state: DebianRootLabState;
  pool: SshPool;
  node: NodeSpec;
  /** A root shell in the guest over its sshd (inside the guest's PID namespace, unlike inGuest). */
  runner: CommandRunner;
  module: (options?: Partial<LinuxOsModuleOptions>) => LinuxOsModule;
  /** Everything the modules emitted (commands and progress). */
  events: (CommandEvent | ProgressEvent)[];
  close: () => Promise<void>;
}

/** Replaces the running root by a fresh copy and connects to it. */
export async function startDebianRoot(): Promise<DebianRootFixture> {
  const state = await resetDebianRoot();
  const pool = new SshPool({ commandTimeoutMs: 120_000 });
  const runnerFor = sshRunnerFactory(pool, {
    username: state.username,
    privateKeyPath: state.privateKeyPath,
    hostKey: { kind: 'known-hosts', path: state.knownHostsPath },
  });
  const events: (CommandEvent | ProgressEvent)[] = [];
  const node: NodeSpec = { name: 'debian-root', address: { host: state.host, port: state.port } };
  const modules: LinuxOsModule[] = [];
  return {
    state,
    pool,
    node,
    runner: runnerFor(node),
    events,
    module: (options = {}) => {
      const module = new LinuxOsModule({ runnerFor, ...options });
      module.events.on('command', (event) => events.push(event));
      module.events.on('progress', (event) => events.push(event));
      modules.push(module);
      return module;
    },
    close: async () => {
      await Promise.all(modules.map((module) => module.close()));
      await pool.close();
    },
  };
}

/** A path inside the root, as seen from the host. */
export function inRoot(state: DebianRootLabState, path: string): string {
  return join(state.rootPath, path);
}

/** Writes a file inside the root (creating directories), from the host. */
export function seed(state: DebianRootLabState, path: string, content: string | Buffer = 'seeded\n', mode?: number): void {
  const full = inRoot(state, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  if (mode !== undefined) chmodSync(full, mode);
}

export function exists(state: DebianRootLabState, path: string): boolean {
  try {
    lstatSync(inRoot(state, path));
    return true;
  } catch {
    return false;
  }
}

export function sizeOf(state: DebianRootLabState, path: string): number {
  return statSync(inRoot(state, path)).size;
}

export function read(state: DebianRootLabState, path: string): string {
  return readFileSync(inRoot(state, path), 'utf8');
}

/** Runs a command inside the root's namespaces from the host (not over its sshd). */
export function inGuest(state: DebianRootLabState, argv: readonly string[]): Promise<string> {
  return execInDebianRoot(state, argv);
}

/** The shadow entry's hash of `user`, read from the root's /etc/shadow. */
export function shadowHash(state: DebianRootLabState, user: string): string {
  const line = read(state, '/etc/shadow').split('\n').find((entry) => entry.startsWith(`${user}:`));
  if (!line) throw new Error(`no shadow entry for ${user}`);
  return line.split(':')[1]!;
}

/** True when `password` matches the hash (libcrypt through Python, password on stdin). */
export function passwordMatches(hash: string, password: Secret): boolean {
  if (!hash.startsWith('$')) return false;
  const out = execFileSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; p,h=sys.stdin.read().split("\\n")[:2]; print(crypt.crypt(p,h)==h)'], {
    input: `${password.reveal()}\n${hash}\n`,
  });
  return out.toString().trim() === 'True';
}

/**
 * Gives this machine's side of the veth pair extra addresses (routed back by the guest), so a
 * test can open connections to the guest from sources other than the management address.
 * Returns what removes them again.
 */
export function addRemoteAddresses(state: DebianRootLabState, addresses: readonly string[]): () => void {
  const shown = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'to', `${state.hostAddress}/32`]).toString();
  const device = shown.trim().split(/\s+/)[1];
  if (!device) throw new Error(`no interface holds ${state.hostAddress}`);
  const remove = (): void => {
    for (const address of addresses) {
      // Either may be gone already (the namespace is recreated on every reset).
      spawnSync('ip', ['addr', 'del', `${address}/32`, 'dev', device], { stdio: 'ignore' });
      spawnSync('ip', ['-n', state.namespace, 'route', 'del', `${address}/32`], { stdio: 'ignore' });
    }
  };
  for (const address of addresses) {
    execFileSync('ip', ['addr', 'replace', `${address}/32`, 'dev', device]);
    execFileSync('ip', ['-n', state.namespace, 'route', 'replace', `${address}/32`, 'via', state.hostAddress]);
  }
  return remove;
}

/**
 * Opens a TCP connection from `localAddress` to the guest's `port` and says what happened:
 * `answered` (the server's first bytes arrived), `refused` (a reset), or `no answer` within
 * `timeoutMs` (a firewall dropped it: silence has no other end than a deadline).
 */
export function connectFrom(state: DebianRootLabState, localAddress: string, port: number, timeoutMs: number): Promise<'answered' | 'refused' | 'no answer'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: state.host, port, localAddress });
    const finish = (outcome: 'answered' | 'refused' | 'no answer' | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish('no answer'), timeoutMs);
    socket.once('data', () => finish('answered'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? 'refused' : error));
  });
}

/**
 * Writes the root's current ed25519 host key into the lab's known_hosts, as an operator updates
 * the list after the host keys were replaced on purpose (the file's policy is strict).
 */
export function trustCurrentHostKey(state: DebianRootLabState): void {
  const [type, key] = read(state, '/etc/ssh/ssh_host_ed25519_key.pub').split(' ');
  writeFileSync(state.knownHostsPath, `${state.host} ${type} ${key}\n`);
}

/** The SHA256 fingerprint of a public key file inside the root. */
export function fingerprintOf(state: DebianRootLabState, path: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', inRoot(state, path)]).toString().split(' ')[1]!;
}

export { existsSync };
