import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDir, labRoot } from './paths.ts';

const run = promisify(execFile);

/**
 * State of the lab's `debian-root` service: a debootstrap'ed Debian root whose own sshd runs
 * chrooted in a network, PID, mount and UTS namespace of its own, reached over a veth pair.
 */
export interface DebianRootLabState {
  /** The guest side of the veth pair (the sshd's address). */
  host: string;
  port: number;
  username: string;
  /** The lab sshd's client key, authorized for root in the Debian root. */
  privateKeyPath: string;
  /** known_hosts with the root's ed25519 host key for `host`. */
  knownHostsPath: string;
  hostKeyFingerprint: string;
  /** The root's directory on this machine, for inspecting its files from the host. */
  rootPath: string;
  /** The network namespace (`ip netns exec <namespace> ...` sees its firewall). */
  namespace: string;
  /** This machine's side of the veth pair: the address the guest sees connections from. */
  hostAddress: string;
  logPath: string;
  pidPath: string;
  recipeHash: string;
  suite: string;
}

/**
 * Replaces the running Debian root by a fresh copy of the cached one (new host keys, no
 * leftovers from earlier tests) and returns the new state. Serialized with the lab's own
 * `up`/`down` of the service by the same lock.
 */
export async function resetDebianRoot(): Promise<DebianRootLabState> {
  await run('mkdir', ['-p', labDir]);
  const { stdout } = await run('flock', ['-o', '-w', '1800', join(labDir, '.debian-root.lock'), 'bash', join(labRoot, 'services', 'debian-root.sh'), 'reset'], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, PROVKIT_LAB_DIR: labDir },
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`lab service debian-root reset failed: ${error.stderr?.trim().split('\n').slice(-15).join('\n') || error.message}`);
  });
  return JSON.parse(stdout) as DebianRootLabState;
}

/**
 * Runs a command inside the Debian root's network namespace and root directory from the host
 * side (not through its sshd), e.g. `['nft', 'list', 'ruleset']` to see its firewall.
 */
export async function execInDebianRoot(state: DebianRootLabState, argv: readonly string[]): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', state.namespace, 'chroot', state.rootPath, ...argv], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}
