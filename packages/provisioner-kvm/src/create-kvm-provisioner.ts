import { parseConfig, type ModuleFactoryContext } from '@provkit/core';
import { DEFAULT_CONNECT_TIMEOUT_MS, LocalRunner, SshPool, sshTargetFromConfig, type CommandRunner } from '@provkit/runners';
import { kvmProvisionerConfigSchema, type KvmProvisionerConfig } from './kvm-config-schema.ts';
import { KvmProvisioner } from './kvm-provisioner.ts';
import type { KvmProvisionerOptions } from './kvm-options.ts';

/**
 * Builds a {@link KvmProvisioner} from the `provisioner:` section of a provkit configuration
 * file (the CLI's `kind: kvm`), e.g.
 *
 * ```yaml
 * provisioner:
 *   kind: kvm
 *   host: { host: kvm1.example.org, username: provkit, privateKeyPath: /etc/provkit/id_ed25519, knownHostsPath: /etc/provkit/known_hosts, connectTimeoutMs: 10000 }
 *   libraryDir: /var/lib/provkit/images
 *   nodeDiskDir: /var/lib/libvirt/images
 *   network: { kind: bridge, bridge: br0 }
 *   defaultSize: { cpus: 2, memory: 2 GiB }
 * ```
 *
 * `host: local` drives libvirt on this machine. A remote host is reached over one pooled SSH
 * connection whose host key is verified; `close()` closes it. The section is checked against
 * {@link kvmProvisionerConfigSchema} (unknown keys, types, the key and known_hosts files) before
 * anything connects; a connect is bounded by `host.connectTimeoutMs` (default 10 s).
 */
export function createKvmProvisioner(config: Record<string, unknown>, context: ModuleFactoryContext = {}): KvmProvisioner {
  const settings = parseConfig(kvmProvisionerConfigSchema, 'provisioner', config);
  let runner: CommandRunner;
  let pool: SshPool | undefined;
  if (settings.host === 'local') runner = new LocalRunner(context.events ? { events: context.events } : {});
  else {
    const target = sshTargetFromConfig(settings.host, { path: 'provisioner.host' });
    pool = new SshPool({ connectTimeoutMs: settings.host.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, events: context.events });
    runner = pool.runner(target);
  }
  // A pool connects on its first command, so nothing is open before the provisioner is used.
  return new KvmProvisioner({ ...kvmOptions(settings), runner, ...context, ...(pool ? { onClose: () => pool.close() } : {}) });
}

function kvmOptions(settings: KvmProvisionerConfig): Omit<KvmProvisionerOptions, 'runner'> {
  const { kind: _kind, host: _host, defaultSize, directKernelBoot, ...rest } = settings;
  const options: Omit<KvmProvisionerOptions, 'runner'> = { ...rest };
  if (defaultSize) options.defaultSize = { cpus: defaultSize.cpus, memoryBytes: defaultSize.memory };
  if (directKernelBoot) options.directKernelBoot = directKernelBoot;
  return options;
}
