import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HostKeyPolicy } from './ssh-options.ts';

/** `SHA256:<base64>` of an SSH public key blob, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, ...). */
export function keyTypeOf(keyBlob: Buffer): string {
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** One line of a known_hosts file. */
export interface KnownHostsEntry {
  marker?: '@cert-authority' | '@revoked';
  hosts: string;
  keyType: string;
  key: string;
}

/** Parses an OpenSSH known_hosts file (comments and blank lines ignored). */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    const marker = fields[0].startsWith('@') ? (fields.shift() as KnownHostsEntry['marker']) : undefined;
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) continue;
    entries.push(marker ? { marker, hosts, keyType, key } : { hosts, keyType, key });
  }
  return entries;
}

/** The name OpenSSH looks up: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(name);
}

/** True when a known_hosts host field names `host:port` (plain, wildcard, negated or hashed). */
export function hostFieldMatches(field: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) matched = true;
  }
  return matched;
}

/** The entries of a known_hosts file that name `host:port`; a missing file has none. */
export async function knownHostsEntries(path: string, host: string, port: number): Promise<KnownHostsEntry[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return parseKnownHosts(text).filter((entry) => hostFieldMatches(entry.hosts, host, port));
}

/** Outcome of checking an offered host key against a policy. */
export type HostKeyVerdict = { accepted: true } | { accepted: false; expected: string };

/**
 * Checks the key a server offered against a {@link HostKeyPolicy}. For `accept-new`, a host
 * with no entry is recorded in the file and accepted; a host with other keys is refused.
 */
export async function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, keyBlob: Buffer): Promise<HostKeyVerdict> {
  const offered = fingerprintSha256(keyBlob);
  switch (policy.kind) {
    case 'insecure-accept-any':
      return { accepted: true };
    case 'fingerprint': {
      const allowed = (typeof policy.sha256 === 'string' ? [policy.sha256] : [...policy.sha256]).map(normalizeFingerprint);
      return allowed.includes(offered) ? { accepted: true } : { accepted: false, expected: allowed.join(' or ') };
    }
    case 'known-hosts':
    case 'accept-new': {
      const entries = await knownHostsEntries(policy.path, host, port);
      const offeredBase64 = keyBlob.toString('base64');
      if (entries.some((entry) => entry.marker === '@revoked' && entry.key === offeredBase64)) {
        return { accepted: false, expected: 'a key that is not revoked' };
      }
      const keys = entries.filter((entry) => entry.marker === undefined);
      if (keys.some((entry) => entry.key === offeredBase64)) return { accepted: true };
      if (keys.length === 0 && policy.kind === 'accept-new') {
        await mkdir(dirname(policy.path), { recursive: true });
        await appendFile(policy.path, `${knownHostsName(host, port)} ${keyTypeOf(keyBlob)} ${offeredBase64}\n`, { mode: 0o600 });
        return { accepted: true };
      }
      const expected = keys.length === 0 ? `a key listed in ${policy.path} (host unknown)` : keys.map((entry) => fingerprintSha256(Buffer.from(entry.key, 'base64'))).join(' or ');
      return { accepted: false, expected };
    }
    default:
      // Unreachable for validated policies; fails closed for anything else.
      return { accepted: false, expected: `a known host-key policy (got kind ${JSON.stringify((policy as { kind: unknown }).kind)})` };
  }
}

/** Removes every entry for `host:port` from a known_hosts file (before a node is reloaded). */
export async function forgetHostKey(path: string, host: string, port: number): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const kept = text.split('\n').filter((line) => {
    const [entry] = parseKnownHosts(line);
    return !entry || !hostFieldMatches(entry.hosts, host, port);
  });
  await writeFile(path, kept.join('\n'), { mode: 0o600 });
}

function normalizeFingerprint(value: string): string {
  const bare = value.startsWith('SHA256:') ? value.slice(7) : value;
  return `SHA256:${bare.replace(/=+$/, '')}`;
}
