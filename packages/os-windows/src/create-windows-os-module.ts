import { InvalidInputError, Secret, SshPool, sshRunnerFactory, type HostKeyPolicy } from '@provkit/core';
import type { UnattendOptions } from './unattend/unattend-xml.ts';
import { WindowsOsModule } from './windows-os-module.ts';

/**
 * The `os:` section of a provkit configuration file for Windows guests (YAML/JSON), e.g.
 *
 * ```yaml
 * os:
 *   kind: windows
 *   username: Administrator
 *   privateKeyPath: /etc/provkit/id_ed25519
 *   knownHostsPath: /etc/provkit/windows_known_hosts
 *   acceptNewHostKeys: true                 # clones make new host keys after Sysprep
 *   administratorPasswordEnv: PROVKIT_WINDOWS_ADMIN_PASSWORD
 *   unattend: { timeZone: W. Europe Standard Time }
 * ```
 *
 * Passwords never live in the file: `administratorPasswordEnv` names the environment variable
 * that holds it.
 */
export interface WindowsOsModuleConfig {
  kind?: string;
  username?: string;
  port?: number;
  privateKeyPath: string;
  /** OpenSSH known_hosts file checked for each guest's key. */
  knownHostsPath?: string;
  /** With `knownHostsPath`: trust and record a guest seen for the first time (OpenSSH's accept-new). */
  acceptNewHostKeys?: boolean;
  /** Instead of a file: the pinned SHA256 fingerprint(s) of the guests' host key. */
  hostKeyFingerprint?: string | string[];
  administratorPasswordEnv?: string;
  unattend?: Omit<UnattendOptions, 'administratorPassword'>;
  currentImagePath?: string;
  unattendPath?: string;
  sysprepVmMode?: boolean;
  commandTimeoutMs?: number;
  sysprepTimeoutMs?: number;
  waitTimeoutMs?: number;
}

function optionalString(config: Record<string, unknown>, key: string): string | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError(`os.${key}`, 'must be a non-empty string');
  return value;
}

function optionalNumber(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidInputError(`os.${key}`, 'must be a positive number');
  return value;
}

/**
 * Builds a {@link WindowsOsModule} from a configuration section (the provkit CLI's
 * `kind: windows`), with its own SSH pool that `close()` closes. Host keys are always
 * verified: a known_hosts file or pinned fingerprints are required.
 */
export function createWindowsOsModule(config: WindowsOsModuleConfig | Record<string, unknown>): WindowsOsModule {
  const raw = config as Record<string, unknown>;
  const privateKeyPath = optionalString(raw, 'privateKeyPath');
  if (privateKeyPath === undefined) throw new InvalidInputError('os.privateKeyPath', 'is required');
  const knownHostsPath = optionalString(raw, 'knownHostsPath');
  const fingerprints = raw.hostKeyFingerprint;
  let hostKey: HostKeyPolicy;
  if (knownHostsPath !== undefined) hostKey = raw.acceptNewHostKeys === true ? { kind: 'accept-new', path: knownHostsPath } : { kind: 'known-hosts', path: knownHostsPath };
  else if (typeof fingerprints === 'string' || (Array.isArray(fingerprints) && fingerprints.every((entry) => typeof entry === 'string'))) hostKey = { kind: 'fingerprint', sha256: fingerprints };
  else throw new InvalidInputError('os.knownHostsPath', 'or os.hostKeyFingerprint is required: guest host keys are always verified');

  const passwordEnv = optionalString(raw, 'administratorPasswordEnv');
  let administratorPassword: Secret | undefined;
  if (passwordEnv !== undefined) {
    const value = process.env[passwordEnv];
    if (value === undefined || value === '') throw new InvalidInputError('os.administratorPasswordEnv', `environment variable ${passwordEnv} is not set`);
    administratorPassword = Secret.of(value);
  }
  const port = optionalNumber(raw, 'port');
  const unattend = raw.unattend;
  if (unattend !== undefined && (typeof unattend !== 'object' || unattend === null)) throw new InvalidInputError('os.unattend', 'must be a mapping');

  const pool = new SshPool();
  const runnerFor = sshRunnerFactory(pool, {
    username: optionalString(raw, 'username') ?? 'Administrator',
    privateKeyPath,
    hostKey,
    remoteShell: 'other',
    ...(port !== undefined ? { port } : {}),
  });
  const optional = <T>(key: string, value: T | undefined): Record<string, T> => (value === undefined ? {} : { [key]: value });
  try {
    return new WindowsOsModule({
      runnerFor,
      onClose: () => pool.close(),
      ...(administratorPassword ? { administratorPassword } : {}),
      ...(unattend ? { unattend: unattend as Omit<UnattendOptions, 'administratorPassword'> } : {}),
      ...optional('currentImagePath', optionalString(raw, 'currentImagePath')),
      ...optional('unattendPath', optionalString(raw, 'unattendPath')),
      ...optional('sysprepVmMode', raw.sysprepVmMode === undefined ? undefined : raw.sysprepVmMode === true),
      ...optional('commandTimeoutMs', optionalNumber(raw, 'commandTimeoutMs')),
      ...optional('sysprepTimeoutMs', optionalNumber(raw, 'sysprepTimeoutMs')),
      ...optional('waitTimeoutMs', optionalNumber(raw, 'waitTimeoutMs')),
    });
  } catch (error) {
    void pool.close();
    throw error;
  }
}
