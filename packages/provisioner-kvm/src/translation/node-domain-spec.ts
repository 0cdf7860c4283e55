import type { SizeSpec } from '@provkit/core';
import type { CheckedNode } from '../checked-node.ts';
import type { KvmSettings } from '../kvm-options.ts';
import type { DomainSpec } from './domain-xml.ts';

/** The provisioner settings a node's domain is made from. */
export type NodeDomainSettings = Pick<KvmSettings, 'network' | 'domainType' | 'machine' | 'clock' | 'consoleLog' | 'directKernelBoot'>;

/**
 * A loaded node's domain: its size, one qcow2 disk on virtio, the NIC the settings choose (or
 * QEMU's user-mode network forwarding the node's SSH port), its console log, provkit's marker
 * with the image, and the direct kernel boot when the settings have one.
 */
export function nodeDomainSpec(settings: NodeDomainSettings, { node, image, size, diskPath, consoleLogPath }: { node: CheckedNode; image: string; size: SizeSpec; diskPath: string; consoleLogPath: string }): DomainSpec {
  const network = settings.network;
  const spec: DomainSpec = {
    name: node.name,
    type: settings.domainType,
    cpus: size.cpus,
    memoryBytes: size.memoryBytes,
    machine: settings.machine,
    clock: settings.clock,
    disks: [{ path: diskPath, format: 'qcow2', target: 'vda' }],
    nics: network.kind === 'user-forward' ? [] : [{ mac: node.mac, source: network }],
    serial: settings.consoleLog ? { logFile: consoleLogPath } : {},
    metadata: { image },
  };
  if (network.kind === 'user-forward') {
    spec.userNetForwards = [{ mac: node.mac, hostAddress: node.address!.host, hostPort: node.address!.port ?? 22, guestPort: network.guestPort ?? 22, pciSlot: network.pciSlot }];
  }
  if (settings.directKernelBoot) spec.directKernelBoot = settings.directKernelBoot;
  return spec;
}
