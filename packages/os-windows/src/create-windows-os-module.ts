import { ConfigSection, SshPool, sshCredentialsFromConfig, sshRunnerFactory, type ModuleFactoryContext } from '@provkit/core';
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
  /**
   * Environment variable holding the built-in Administrator's password. `preCapture` requires
   * it unless `unattend.promptForAdministratorPassword` is true (see `WindowsOsModuleOptions`).
   */
  administratorPasswordEnv?: string;
  unattend?: Omit<UnattendOptions, 'administratorPassword'>;
  currentImagePath?: string;
  unattendPath?: string;
  sysprepVmMode?: boolean;
  commandTimeoutMs?: number;
  sysprepTimeoutMs?: number;
  waitTimeoutMs?: number;
}

/**
 * Builds a {@link WindowsOsModule} from a configuration section (the provkit CLI's
 * `kind: windows`), with its own SSH pool that `close()` closes. Host keys are always
 * verified: a known_hosts file or pinned fingerprints are required (core's
 * `sshCredentialsFromConfig`).
 */
export function createWindowsOsModule(config: WindowsOsModuleConfig | Record<string, unknown>, context: Omit<ModuleFactoryContext, 'osModule'> = {}): WindowsOsModule {
  const section = new ConfigSection('os', config);
  const credentials = sshCredentialsFromConfig(section, { username: 'Administrator', remoteShell: 'other' });
  const administratorPassword = section.secretFromEnv('administratorPasswordEnv');
  const unattend = section.raw('unattend');
  if (unattend !== undefined) new ConfigSection(section.field('unattend'), unattend);
  // The pool connects on the first command, so a refused setting leaves nothing open.
  const pool = new SshPool();
  const optional = <T>(key: string, value: T | undefined): Record<string, T> => (value === undefined ? {} : { [key]: value });
  return new WindowsOsModule({
    runnerFor: sshRunnerFactory(pool, credentials),
    onClose: () => pool.close(),
    ...(context.events ? { events: context.events } : {}),
    ...(administratorPassword ? { administratorPassword } : {}),
    ...(unattend ? { unattend: unattend as Omit<UnattendOptions, 'administratorPassword'> } : {}),
    ...optional('currentImagePath', section.string('currentImagePath')),
    ...optional('unattendPath', section.string('unattendPath')),
    ...optional('sysprepVmMode', section.boolean('sysprepVmMode')),
    ...optional('commandTimeoutMs', section.positiveInteger('commandTimeoutMs')),
    ...optional('sysprepTimeoutMs', section.positiveInteger('sysprepTimeoutMs')),
    ...optional('waitTimeoutMs', section.positiveInteger('waitTimeoutMs')),
  });
}
