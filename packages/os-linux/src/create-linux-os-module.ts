import { ConfigSection, SshPool, sshCredentialsFromConfig, sshRunnerFactory, type ModuleFactoryContext } from '@provkit/core';
import { FIREWALL_KINDS } from './firewall/firewall-script.ts';
import { LinuxOsModule } from './linux-os-module.ts';
import type { LinuxOsModuleOptions, LinuxOsModuleTimeouts } from './linux-os-module-options.ts';

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
 * the file names, never from the file.
 */
export function createLinuxOsModule(config: Record<string, unknown>, context: Omit<ModuleFactoryContext, 'osModule'> = {}): LinuxOsModule {
  const section = new ConfigSection('os', config);
  const credentials = sshCredentialsFromConfig(section, { username: 'root' });
  const options: Omit<LinuxOsModuleOptions, 'runnerFor'> = { ...(context.events ? { events: context.events } : {}) };
  const rootPassword = section.secretFromEnv('rootPasswordEnv');
  if (rootPassword) options.rootPassword = rootPassword;
  const operations = section.strings('operations');
  if (operations) options.operations = operations;
  const keep = section.boolean('keepRootAuthorizedKeys');
  if (keep !== undefined) options.keepRootAuthorizedKeys = keep;
  const firewall = section.choice('firewall', ['auto', ...FIREWALL_KINDS] as const);
  if (firewall) options.firewall = firewall;
  const management = section.strings('managementAddresses');
  if (management) options.managementAddresses = management;
  const timeouts = section.section('timeouts');
  if (timeouts) {
    const bounds: LinuxOsModuleTimeouts = {};
    for (const key of ['responseMs', 'shutdownMs', 'rebootMs', 'commandMs'] as const) {
      const value = timeouts.positiveInteger(key);
      if (value !== undefined) bounds[key] = value;
    }
    options.timeouts = bounds;
  }
  // The pool connects on the first command, so a refused setting leaves nothing open.
  const pool = new SshPool();
  return new LinuxOsModule({ ...options, runnerFor: sshRunnerFactory(pool, credentials), onClose: () => pool.close() });
}
