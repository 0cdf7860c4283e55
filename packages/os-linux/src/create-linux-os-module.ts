import { parseConfig, secretFromEnv, type ModuleFactoryContext } from '@provkit/core';
import { DEFAULT_CONNECT_TIMEOUT_MS, SshPool, sshCredentialsFromConfig, sshRunnerFactory } from '@provkit/runners';
import { linuxOsModuleConfigSchema } from './linux-config-schema.ts';
import { LinuxOsModule } from './linux-os-module.ts';
import type { LinuxOsModuleOptions } from './linux-os-module-options.ts';

/**
 * Builds a {@link LinuxOsModule} from the `os:` section of a provkit configuration file (the
 * CLI's `kind: linux`), with an SSH pool of its own that `close()` closes:
 *
 * ```yaml
 * os:
 *   kind: linux
 *   username: root
 *   privateKeyPath: /etc/provkit/id_ed25519
 *   knownHostsPath: /var/lib/provkit/guests_known_hosts
 *   acceptNewHostKeys: true              # loaded nodes make fresh host keys
 *   rootPasswordEnv: PROVKIT_ROOT_PASSWORD
 *   operations: [machine-id, ssh-hostkeys, logfiles]
 *   firewall: nftables
 *   managementAddresses: [192.0.2.10]
 *   timeouts: { shutdownMs: 120000 }
 * ```
 *
 * Guest host keys are always verified (a known_hosts file, with accept-new for fresh
 * clones, or pinned fingerprints); the root password is read from the environment variable
 * the file names, never from the file. The section is checked against
 * {@link linuxOsModuleConfigSchema} (unknown keys, types, the key and known_hosts files) when
 * the module is made; each connect is bounded by `connectTimeoutMs` (default 10 s).
 */
export function createLinuxOsModule(config: Record<string, unknown>, context: Omit<ModuleFactoryContext, 'osModule'> = {}): LinuxOsModule {
  const settings = parseConfig(linuxOsModuleConfigSchema, 'os', config);
  const credentials = sshCredentialsFromConfig(settings, { path: 'os', username: 'root' });
  const options: Omit<LinuxOsModuleOptions, 'runnerFor'> = { events: context.events };
  if (settings.rootPasswordEnv !== undefined) options.rootPassword = secretFromEnv('os.rootPasswordEnv', settings.rootPasswordEnv);
  if (settings.operations) options.operations = settings.operations;
  if (settings.keepRootAuthorizedKeys !== undefined) options.keepRootAuthorizedKeys = settings.keepRootAuthorizedKeys;
  if (settings.firewall) options.firewall = settings.firewall as NonNullable<LinuxOsModuleOptions['firewall']>;
  if (settings.managementAddresses) options.managementAddresses = settings.managementAddresses;
  if (settings.timeouts) options.timeouts = settings.timeouts;
  // The pool connects on the first command, so nothing is open before the module is used.
  const pool = new SshPool({ connectTimeoutMs: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
  return new LinuxOsModule({ ...options, runnerFor: sshRunnerFactory(pool, credentials), onClose: () => pool.close() });
}
