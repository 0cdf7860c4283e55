import { ConfigSection, InvalidInputError, LocalRunner, SshPool, sshTargetFromConfig, type CommandRunner, type ModuleFactoryContext } from '@provkit/core';
import { KvmProvisioner } from './kvm-provisioner.ts';
import type { KvmNetwork, KvmProvisionerOptions } from './kvm-options.ts';

/**
 * Builds a {@link KvmProvisioner} from the `provisioner:` section of a provkit configuration
 * file (the CLI's `kind: kvm`), e.g.
 *
 * ```yaml
 * provisioner:
 *   kind: kvm
 *   host: { host: kvm1.example.org, username: provkit, privateKeyPath: /etc/provkit/id_ed25519, knownHostsPath: /etc/provkit/known_hosts }
 *   libraryDir: /var/lib/provkit/images
 *   nodeDiskDir: /var/lib/libvirt/images
 *   network: { kind: bridge, bridge: br0 }
 *   defaultSize: { cpus: 2, memory: 2 GiB }
 * ```
 *
 * `host: local` drives libvirt on this machine. A remote host is reached over one pooled SSH
 * connection whose host key is verified (see core's `sshTargetFromConfig`); `close()` closes it.
 * Every setting is checked before anything connects.
 */
export function createKvmProvisioner(config: Record<string, unknown>, context: ModuleFactoryContext = {}): KvmProvisioner {
  const section = new ConfigSection('provisioner', config);
  let runner: CommandRunner;
  let pool: SshPool | undefined;
  if (section.raw('host') === 'local') runner = new LocalRunner(context.events ? { events: context.events } : {});
  else {
    const hostSection = section.section('host');
    if (!hostSection) throw new InvalidInputError(section.field('host'), 'is required: `local`, or { host, username, privateKeyPath, knownHostsPath }');
    const target = sshTargetFromConfig(hostSection);
    pool = new SshPool(context.events ? { events: context.events } : {});
    runner = pool.runner(target);
  }
  // A pool connects on its first command, so a refused setting below leaves nothing open.
  return new KvmProvisioner({ ...kvmSettingsFromConfig(section), runner, ...context, ...(pool ? { onClose: () => pool.close() } : {}) });
}

function kvmSettingsFromConfig(section: ConfigSection): Omit<KvmProvisionerOptions, 'runner'> {
  const options: Omit<KvmProvisionerOptions, 'runner'> = {
    libraryDir: section.requiredString('libraryDir'),
    nodeDiskDir: section.requiredString('nodeDiskDir'),
  };
  const uri = section.string('uri');
  if (uri !== undefined) options.uri = uri;
  const domainType = section.choice('domainType', ['kvm', 'qemu'] as const);
  if (domainType) options.domainType = domainType;
  const machine = section.string('machine');
  if (machine !== undefined) options.machine = machine;
  const clock = section.choice('clock', ['utc', 'localtime'] as const);
  if (clock) options.clock = clock;
  const network = section.section('network');
  if (network) options.network = networkFromConfig(network);
  const size = section.section('defaultSize');
  if (size) {
    const cpus = size.positiveInteger('cpus');
    const memoryBytes = size.bytes('memory');
    if (cpus === undefined || memoryBytes === undefined) throw new InvalidInputError(size.path, 'needs cpus and memory (e.g. { cpus: 2, memory: 2 GiB })');
    options.defaultSize = { cpus, memoryBytes };
  }
  const boot = section.section('directKernelBoot');
  if (boot) {
    const initrd = boot.string('initrd');
    const cmdline = boot.string('cmdline');
    options.directKernelBoot = { kernel: boot.requiredString('kernel'), ...(initrd !== undefined ? { initrd } : {}), ...(cmdline !== undefined ? { cmdline } : {}) };
  }
  const consoleLog = section.boolean('consoleLog');
  if (consoleLog !== undefined) options.consoleLog = consoleLog;
  for (const key of ['bootTimeoutMs', 'shutdownTimeoutMs', 'commandTimeoutMs'] as const) {
    const value = section.positiveInteger(key);
    if (value !== undefined) options[key] = value;
  }
  return options;
}

function networkFromConfig(section: ConfigSection): KvmNetwork {
  const kind = section.choice('kind', ['bridge', 'network', 'user-forward'] as const);
  switch (kind) {
    case 'bridge':
      return { kind, bridge: section.requiredString('bridge') };
    case 'network':
      return { kind, network: section.requiredString('network') };
    case 'user-forward': {
      const guestPort = section.positiveInteger('guestPort');
      const pciSlot = section.positiveInteger('pciSlot');
      return { kind, ...(guestPort !== undefined ? { guestPort } : {}), ...(pciSlot !== undefined ? { pciSlot } : {}) };
    }
    default:
      throw new InvalidInputError(section.field('kind'), 'is required: bridge, network or user-forward');
  }
}
