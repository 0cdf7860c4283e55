import { InvalidInputError, Secret, checkHost, checkObject, checkOneOf, checkPort, checkPrintableText, checkStringArray, describeValue } from '@provkit/core';
import type { HostKeyPolicy, SshTarget } from './ssh-options.ts';

const HOST_KEY_KINDS = ['known-hosts', 'fingerprint', 'accept-new', 'insecure-accept-any'] as const;

/**
 * Validates a host-key policy. An unknown `kind` must fail here, as a typed error the caller
 * can catch: found only while the server's key is checked, it surfaced inside the SSH
 * library's callback as an unhandled rejection that ended the process.
 */
export function checkHostKeyPolicy(field: string, value: unknown): HostKeyPolicy {
  if (value === undefined) throw new InvalidInputError(field, 'is required: known-hosts, fingerprint, accept-new or insecure-accept-any (verification is never off by default)');
  const policy = checkObject<{ kind: unknown; path?: unknown; sha256?: unknown }>(field, value);
  const kind = checkOneOf(`${field}.kind`, policy.kind, HOST_KEY_KINDS);
  if (kind === 'known-hosts' || kind === 'accept-new') {
    if (typeof policy.path !== 'string' || policy.path.length === 0) throw new InvalidInputError(`${field}.path`, `expected the path of a known_hosts file, got ${describeValue(policy.path)}`);
    checkPrintableText(`${field}.path`, policy.path, 4096);
  }
  if (kind === 'fingerprint') {
    const fingerprints = typeof policy.sha256 === 'string' ? [policy.sha256] : checkStringArray(`${field}.sha256`, policy.sha256);
    if (fingerprints.length === 0) throw new InvalidInputError(`${field}.sha256`, 'lists no fingerprint');
    fingerprints.forEach((fingerprint, index) => {
      if (!/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/.test(fingerprint)) throw new InvalidInputError(`${field}.sha256[${index}]`, `${describeValue(fingerprint)} is not a SHA256 fingerprint (SHA256:base64)`);
    });
  }
  return value as HostKeyPolicy;
}

/** Validates the credentials and policy of an SSH destination (the host and port only when given). */
export function checkSshCredentials(field: string, value: unknown): void {
  const target = checkObject<Partial<Record<keyof SshTarget, unknown>>>(field, value);
  const prefix = field === '' ? '' : `${field}.`;
  if (typeof target.username !== 'string' || target.username.length === 0) throw new InvalidInputError(`${prefix}username`, `expected a user name, got ${describeValue(target.username)}`);
  checkPrintableText(`${prefix}username`, target.username, 256);
  if (target.port !== undefined) checkPort(`${prefix}port`, target.port);
  for (const key of ['password', 'passphrase'] as const) {
    if (target[key] !== undefined && !Secret.isSecret(target[key])) throw new InvalidInputError(`${prefix}${key}`, 'must be a Secret, so it never prints');
  }
  const key = target.privateKey;
  if (key !== undefined && typeof key !== 'string' && !Buffer.isBuffer(key) && !Secret.isSecret(key)) throw new InvalidInputError(`${prefix}privateKey`, 'expected key text, a Buffer or a Secret');
  if (target.privateKeyPath !== undefined) checkPrintableText(`${prefix}privateKeyPath`, target.privateKeyPath, 4096);
  if (target.agent !== undefined) checkPrintableText(`${prefix}agent`, target.agent, 4096);
  if (target.remoteShell !== undefined) checkOneOf(`${prefix}remoteShell`, target.remoteShell, ['posix', 'other']);
  checkHostKeyPolicy(`${prefix}hostKey`, target.hostKey);
}

/** Validates a whole SSH destination: host, port, credentials and host-key policy. */
export function checkSshTarget(value: unknown): SshTarget {
  checkSshCredentials('', value);
  checkHost('host', (value as SshTarget).host);
  return value as SshTarget;
}
