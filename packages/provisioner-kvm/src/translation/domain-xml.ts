import { xml, type XmlFragment } from './xml.ts';

/** A disk of a domain. */
export interface DomainDisk {
  /** Absolute path of the disk file on the host. */
  path: string;
  format: 'qcow2' | 'raw';
  /** Guest device name, e.g. `vda`. */
  target: string;
}

/** Where a NIC is plugged on the host. */
export type NicSource = { kind: 'bridge'; bridge: string } | { kind: 'network'; network: string };

/** A libvirt-managed NIC. */
export interface DomainNic {
  mac: string;
  source: NicSource;
  /** Device model (default `virtio`). */
  model?: string;
}

/**
 * A NIC on QEMU user networking with a host port forwarded to the guest, passed through
 * `<qemu:commandline>` (the lab's way to reach a guest's SSH without a bridge).
 */
export interface UserNetForward {
  mac: string;
  /** Host address and port that forward to the guest. */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
  /**
   * PCI slot on `pci.0` for the extra device; libvirt does not know about it, so it must not
   * collide with the slots it assigns (default 0x9).
   */
  pciSlot?: number | undefined;
}

/** Boot straight into a kernel file on the host instead of the disk's boot loader. */
export interface DirectKernelBoot {
  kernel: string;
  initrd?: string | undefined;
  cmdline?: string | undefined;
}

/** Everything the domain XML builder needs. Values are validated by the provisioner first. */
export interface DomainSpec {
  name: string;
  /** `kvm` in production, `qemu` (TCG) where hardware virtualization is unavailable. */
  type: 'kvm' | 'qemu';
  cpus: number;
  memoryBytes: number;
  /** Machine type (default `pc`). */
  machine?: string;
  clock: 'utc' | 'localtime';
  disks: readonly DomainDisk[];
  nics: readonly DomainNic[];
  userNetForwards?: readonly UserNetForward[];
  /** Serial console; with `logFile` its output is also kept in that host file. */
  serial?: { logFile?: string } | false;
  directKernelBoot?: DirectKernelBoot;
  /** provkit's own record in `<metadata>`: the image the node was loaded with. */
  metadata?: { image: string };
}

/** Namespace of provkit's `<metadata>` element. */
export const PROVKIT_METADATA_NAMESPACE = 'https://provkit.dev/xmlns/kvm/v1';
const QEMU_NAMESPACE = 'http://libvirt.org/schemas/domain/qemu/1.0';

function osElement(spec: DomainSpec): XmlFragment {
  const boot = spec.directKernelBoot;
  const parts = boot
    ? [xml`\n    <kernel>${boot.kernel}</kernel>`, ...(boot.initrd ? [xml`\n    <initrd>${boot.initrd}</initrd>`] : []), ...(boot.cmdline ? [xml`\n    <cmdline>${boot.cmdline}</cmdline>`] : [])]
    : [xml`\n    <boot dev='hd'/>`];
  return xml`  <os>\n    <type arch='x86_64' machine='${spec.machine ?? 'pc'}'>hvm</type>${parts}\n  </os>\n`;
}

function diskElement(disk: DomainDisk): XmlFragment {
  return xml`    <disk type='file' device='disk'>
      <driver name='qemu' type='${disk.format}'/>
      <source file='${disk.path}'/>
      <target dev='${disk.target}' bus='virtio'/>
    </disk>\n`;
}

function nicElement(nic: DomainNic): XmlFragment {
  const source = nic.source.kind === 'bridge' ? xml`<source bridge='${nic.source.bridge}'/>` : xml`<source network='${nic.source.network}'/>`;
  return xml`    <interface type='${nic.source.kind}'>
      <mac address='${nic.mac}'/>
      ${source}
      <model type='${nic.model ?? 'virtio'}'/>
    </interface>\n`;
}

function serialElements(serial: DomainSpec['serial']): XmlFragment {
  if (serial === false || serial === undefined) return xml``;
  const log = serial.logFile ? xml`\n      <log file='${serial.logFile}' append='off'/>` : xml``;
  return xml`    <serial type='pty'>
      <target port='0'/>${log}
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>\n`;
}

function qemuCommandline(forwards: readonly UserNetForward[]): XmlFragment {
  if (forwards.length === 0) return xml``;
  const args = forwards.flatMap((forward, index) => {
    const id = `pknet${index}`;
    const slot = `0x${(forward.pciSlot ?? 9 + index).toString(16)}`;
    return [
      '-netdev',
      // QEMU's hostfwd wants an IPv6 address in brackets ([::1]:2222), as URLs do.
      `user,id=${id},hostfwd=tcp:${forward.hostAddress.includes(':') ? `[${forward.hostAddress}]` : forward.hostAddress}:${forward.hostPort}-:${forward.guestPort}`,
      '-device',
      `virtio-net-pci,netdev=${id},mac=${forward.mac},bus=pci.0,addr=${slot}`,
    ];
  });
  return xml`  <qemu:commandline>\n${args.map((arg) => xml`    <qemu:arg value='${arg}'/>\n`)}  </qemu:commandline>\n`;
}

/**
 * Builds libvirt domain XML for a node. Pure: the same spec always gives the same text, and
 * every value is escaped by the package's XML helper.
 */
export function buildDomainXml(spec: DomainSpec): string {
  const forwards = spec.userNetForwards ?? [];
  const namespace = forwards.length > 0 ? xml` xmlns:qemu='${QEMU_NAMESPACE}'` : xml``;
  const metadata = spec.metadata
    ? xml`  <metadata>\n    <provkit:node xmlns:provkit='${PROVKIT_METADATA_NAMESPACE}'>\n      <provkit:image>${spec.metadata.image}</provkit:image>\n    </provkit:node>\n  </metadata>\n`
    : xml``;
  const memoryKiB = Math.ceil(spec.memoryBytes / 1024);
  return xml`<domain type='${spec.type}'${namespace}>
  <name>${spec.name}</name>
${metadata}  <memory unit='KiB'>${memoryKiB}</memory>
  <currentMemory unit='KiB'>${memoryKiB}</currentMemory>
  <vcpu placement='static'>${spec.cpus}</vcpu>
${osElement(spec)}  <features>
    <acpi/>
    <apic/>
  </features>
  <clock offset='${spec.clock}'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
${spec.disks.map(diskElement)}${spec.nics.map(nicElement)}${serialElements(spec.serial)}    <memballoon model='none'/>
  </devices>
${qemuCommandline(forwards)}</domain>
`.text;
}
