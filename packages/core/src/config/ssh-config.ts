import { InvalidInputError } from '../errors/index.ts';
import type { HostKeyPolicy, SshTarget } from '../runners/index.ts';
import { assertHost, assertPort } from '../validate/index.ts';
import type { ConfigSection } from './config-section.ts';

/** SSH credentials without the host: what an OS module uses for every node it reaches. */
export type SshCredentials = Omit<SshTarget, 'host' | 'port'> & { port?: number };

/**
 * The host-key policy a configuration section asks for:
 * `knownHostsPath` (plus `acceptNewHostKeys: true` for OpenSSH's accept-new),
 * `hostKeyFingerprint` (one `SHA256:…` or a list), or the loudly named
 * `insecureAcceptAnyHostKey: true`. With none of them the section is refused: host keys are
 * verified by default, and nothing turns that off silently.
 */
export function hostKeyPolicyFromConfig(section: ConfigSection): HostKeyPolicy {
  const knownHostsPath = section.localPath('knownHostsPath');
  const fingerprints = section.strings('hostKeyFingerprint');
  const acceptNew = section.boolean('acceptNewHostKeys') ?? false;
  const insecure = section.boolean('insecureAcceptAnyHostKey') ?? false;
  const chosen = [knownHostsPath !== undefined, fingerprints !== undefined, insecure].filter(Boolean).length;
  if (chosen > 1) throw new InvalidInputError(section.field('knownHostsPath'), 'give one of knownHostsPath, hostKeyFingerprint or insecureAcceptAnyHostKey');
  if (acceptNew && knownHostsPath === undefined) throw new InvalidInputError(section.field('acceptNewHostKeys'), 'needs knownHostsPath (the file new keys are recorded in)');
  if (knownHostsPath !== undefined) {
    return acceptNew ? { kind: 'accept-new', path: knownHostsPath } : { kind: 'known-hosts', path: knownHostsPath };
  }
  if (fingerprints !== undefined) {
    for (const entry of fingerprints) {
      if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(entry)) throw new InvalidInputError(section.field('hostKeyFingerprint'), `${JSON.stringify(entry)} is not a SHA256:… fingerprint as ssh-keygen -l prints it`);
    }
    return { kind: 'fingerprint', sha256: fingerprints };
  }
  if (insecure) return { kind: 'insecure-accept-any' };
  throw new InvalidInputError(section.field('knownHostsPath'), 'or hostKeyFingerprint is required: host keys are always verified (insecureAcceptAnyHostKey: true turns that off, for throwaway labs only)');
}

/**
 * SSH credentials from a configuration section: `username`, `port`, `privateKeyPath`,
 * `passwordEnv` / `passphraseEnv` (names of environment variables, never the secrets
 * themselves), `agent`, and the host-key settings of {@link hostKeyPolicyFromConfig}.
 */
export function sshCredentialsFromConfig(section: ConfigSection, defaults: { username?: string; remoteShell?: SshTarget['remoteShell'] } = {}): SshCredentials {
  const username = section.string('username') ?? defaults.username;
  if (username === undefined) throw new InvalidInputError(section.field('username'), 'is required');
  const privateKeyPath = section.localPath('privateKeyPath');
  const password = section.secretFromEnv('passwordEnv');
  const passphrase = section.secretFromEnv('passphraseEnv');
  const agent = section.string('agent');
  if (privateKeyPath === undefined && password === undefined && agent === undefined) {
    throw new InvalidInputError(section.field('privateKeyPath'), 'is required (or passwordEnv, or agent)');
  }
  const port = section.raw('port') === undefined ? undefined : assertPort(section.field('port'), section.raw('port'));
  return {
    username,
    hostKey: hostKeyPolicyFromConfig(section),
    ...(port !== undefined ? { port } : {}),
    ...(privateKeyPath !== undefined ? { privateKeyPath } : {}),
    ...(password ? { password } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(agent !== undefined ? { agent } : {}),
    ...(defaults.remoteShell ? { remoteShell: defaults.remoteShell } : {}),
  };
}

/** One SSH destination from a configuration section: {@link sshCredentialsFromConfig} plus `host`. */
export function sshTargetFromConfig(section: ConfigSection, defaults: { username?: string } = {}): SshTarget {
  const host = assertHost(section.field('host'), section.raw('host'));
  return { ...sshCredentialsFromConfig(section, defaults), host };
}
