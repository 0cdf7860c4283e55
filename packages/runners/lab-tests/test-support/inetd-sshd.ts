import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A host key of an {@link InetdSshd}: its known_hosts type and base64 blob. */
export interface LabHostKey {
  type: string;
  base64: string;
}

/** Generates a key pair at `path` (ssh-keygen, no passphrase) and returns its public half. */
export function generateKey(path: string, type: 'rsa' | 'ed25519'): LabHostKey {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `provkit-lab-${type}`, '-f', path]);
  const [keyType, base64] = readFileSync(`${path}.pub`, 'utf8').trim().split(' ');
  return { type: keyType!, base64: base64! };
}

/** A second real sshd for tests that need host keys the shared lab sshd does not have. */
export interface InetdSshd {
  port: number;
  /** The host keys it offers, by `ssh-keygen -t` name (`rsa`, `ed25519`). */
  hostKeys: Record<string, LabHostKey>;
  close(): Promise<void>;
}

/**
 * Serves Debian's OpenSSH sshd inetd-style (`sshd -i`, one process per TCP connection) on a
 * loopback port, with freshly generated host keys of the given types and the lab's client key
 * authorized. inetd mode needs no PID file, port of its own or daemon to stop: the process
 * ends with its connection, and {@link InetdSshd.close} kills any still running.
 */
export async function startInetdSshd(dir: string, keyTypes: readonly ('rsa' | 'ed25519')[], authorizedKeysPath: string): Promise<InetdSshd> {
  const hostKeys: Record<string, LabHostKey> = {};
  const hostKeyLines: string[] = [];
  for (const type of keyTypes) {
    const path = join(dir, `host_${type}`);
    hostKeys[type] = generateKey(path, type);
    hostKeyLines.push(`HostKey ${path}`);
  }
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      ...hostKeyLines,
      `AuthorizedKeysFile ${authorizedKeysPath}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const children = new Set<ChildProcess>();
  const server = createServer((socket) => {
    // sshd re-executes itself, so it must be started by its absolute path.
    const child = spawn('/usr/sbin/sshd', ['-i', '-f', config, '-E', join(dir, 'sshd.log')], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.add(child);
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    socket.on('error', () => child.kill('SIGKILL'));
    child.stdin.on('error', () => socket.destroy());
    child.once('exit', () => {
      children.delete(child);
      socket.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    hostKeys,
    close: async () => {
      for (const child of children) child.kill('SIGKILL');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
