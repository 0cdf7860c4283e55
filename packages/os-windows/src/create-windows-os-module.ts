import { parseConfig, secretFromEnv, type ModuleFactoryContext } from '@provkit/core';
import { DEFAULT_CONNECT_TIMEOUT_MS, SshPool, sshCredentialsFromConfig, sshRunnerFactory } from '@provkit/runners';
import { windowsOsModuleConfigSchema, type WindowsOsModuleConfig } from './windows-config-schema.ts';

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
 *
 * Builds a {@link WindowsOsModule} from that section (the provkit CLI's `kind: windows`), with its own SSH pool that `close()` closes. Host keys are always
 * verified: a known_hosts file or pinned fingerprints are required. The section is checked
 * against {@link windowsOsModuleConfigSchema} (unknown keys, types, the key and known_hosts
 * files) when the module is made; each connect is bounded by `connectTimeoutMs` (default 10 s).
 */
export function createWindowsOsModule(config: WindowsOsModuleConfig | Record<string, unknown>, context: Omit<ModuleFactoryContext, 'osModule'> = {}): WindowsOsModule {
  const settings = parseConfig(windowsOsModuleConfigSchema, 'os', config);
  const credentials = sshCredentialsFromConfig(settings, { path: 'os', username: 'Administrator', remoteShell: 'other' });
  const administratorPassword = settings.administratorPasswordEnv === undefined ? undefined : secretFromEnv('os.administratorPasswordEnv', settings.administratorPasswordEnv);
  // The pool connects on the first command, so nothing is open before the module is used.
  const pool = new SshPool({ connectTimeoutMs: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
  const optional = <T>(key: string, value: T | undefined): Record<string, T> => (value === undefined ? {} : { [key]: value });
  return new WindowsOsModule({
    runnerFor: sshRunnerFactory(pool, credentials),
    onClose: () => pool.close(),
    events: context.events,
    administratorPassword,
    unattend: settings.unattend as Omit<UnattendOptions, 'administratorPassword'> | undefined,
    ...optional('currentImagePath', settings.currentImagePath),
    ...optional('unattendPath', settings.unattendPath),
    ...optional('sysprepVmMode', settings.sysprepVmMode),
    ...optional('commandTimeoutMs', settings.commandTimeoutMs),
    ...optional('sysprepTimeoutMs', settings.sysprepTimeoutMs),
    ...optional('waitTimeoutMs', settings.waitTimeoutMs),
  });
}
