import type { ServerHostKeyAlgorithm } from 'ssh2';
import { knownHostsEntries } from './host-keys.ts';
import type { HostKeyPolicy } from './ssh-options.ts';

/** ssh2's default host key algorithms, in its order of preference. */
const DEFAULT_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** The signature algorithms that prove possession of a key of each type (RFC 8332 for RSA). */
const ALGORITHMS_OF_KEY_TYPE: Record<string, readonly ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host key algorithms to offer, the ones for the key types on record first, then the rest,
 * each group in ssh2's order (what OpenSSH does for a known host). Unknown types are ignored. Without this, a host known only by its RSA key but also
 * holding an ed25519 key negotiates ed25519 and is refused for a key nobody compared. The
 * others stay in the list so a host that lost its known key still shows the key it offers,
 * and is refused with a mismatch rather than an opaque negotiation failure.
 */
export function preferKeyTypes(knownKeyTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const known = new Set<ServerHostKeyAlgorithm>(knownKeyTypes.flatMap((type) => ALGORITHMS_OF_KEY_TYPE[type] ?? []));
  return [...DEFAULT_ALGORITHMS.filter((name) => known.has(name)), ...DEFAULT_ALGORITHMS.filter((name) => !known.has(name))];
}

/**
 * The host key algorithms to offer `host:port` under `policy`, or `undefined` for ssh2's
 * defaults: only known_hosts policies say which key types a host has, and only once the host
 * is on record.
 */
export async function hostKeyAlgorithms(policy: HostKeyPolicy, host: string, port: number): Promise<ServerHostKeyAlgorithm[] | undefined> {
  if (policy.kind !== 'known-hosts' && policy.kind !== 'accept-new') return undefined;
  const types = (await knownHostsEntries(policy.path, host, port)).filter((entry) => entry.marker === undefined).map((entry) => entry.keyType);
  return types.length === 0 ? undefined : preferKeyTypes(types);
}
