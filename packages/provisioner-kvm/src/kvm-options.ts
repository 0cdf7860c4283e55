import { checkAbsolutePath, checkName, checkObject, checkOptionalOsModule, checkPort, checkPositiveInteger, checkSeparateDirectories, InvalidInputError, type OsModuleV1, type ProvkitEmitter, type SizeSpec, describeValue } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import type { KvmHost } from './kvm-host.ts';

/**
 * How a node's NIC reaches the network:
 * - `bridge` / `network`: a libvirt-managed NIC on a host bridge or libvirt network (production;
 *   `node.address` is the guest's own address);
 * - `user-forward`: QEMU user networking with `node.address` (host:port on the hypervisor)
 *   forwarded to the guest's SSH port — for labs and hosts without a bridge. Needs machine `pc`.
 */
export type KvmNetwork = { kind: 'bridge'; bridge: string } | { kind: 'network'; network: string } | { kind: 'user-forward'; guestPort?: number | undefined; pciSlot?: number | undefined };

/** Boot a kernel file on the host instead of the disk's boot loader (small test guests). */
export interface KvmDirectKernelBoot {
  kernel: string;
  initrd?: string | undefined;
  cmdline?: string | undefined;
}

/** Settings of a {@link KvmProvisioner}. */
export interface KvmProvisionerOptions {
  /** Runs commands on the libvirt host: `pool.runner({...})` for a remote host, `new LocalRunner()` for this one. */
  runner: CommandRunner;
  /** The image library on the host: `<image>.qcow2` files. */
  libraryDir: string;
  /** Where nodes' own disks (overlays, full copies) live on the host. */
  nodeDiskDir: string;
  /** libvirt URI on the host (default `qemu:///system`). */
  uri?: string | undefined;
  /**
   * The host's calls, when not a {@link KvmHost} over `runner` and `uri`: a stand-in, such as
   * this package's unit tests' host whose libvirt and qemu-img are simulated. Its `runner` must
   * be `runner` (host locks and command events go through it).
   */
  host?: KvmHost | undefined;
  /** `kvm` (default) or `qemu` (TCG, for hosts without usable hardware virtualization). */
  domainType?: 'kvm' | 'qemu' | undefined;
  /** Machine type (default `pc`). */
  machine?: string | undefined;
  /** NIC of every node (default `{ kind: 'network', network: 'default' }`). */
  network?: KvmNetwork | undefined;
  /** Guest clock: `utc` (default; Linux) or `localtime` (Windows). */
  clock?: 'utc' | 'localtime' | undefined;
  /** Hardware when a load gives no size (default 1 cpu, 1 GiB). */
  defaultSize?: Omit<SizeSpec, 'diskBytes'> | undefined;
  directKernelBoot?: KvmDirectKernelBoot | undefined;
  /** Keep each node's serial console output in `<nodeDiskDir>/<node>.console.log` (default true). */
  consoleLog?: boolean | undefined;
  /** The OS module used when an operation names none. */
  osModule?: OsModuleV1 | undefined;
  /** Bound on the wait for a booting node's SSH (default 300 s). */
  bootTimeoutMs?: number | undefined;
  /** Bound on the wait for a node to power off at capture and graceful power-off (default 300 s). */
  shutdownTimeoutMs?: number | undefined;
  /**
   * Bound given to the OS module's `preCapture` (generalization and the guest's own shutdown)
   * when a capture gives none in `providerOptions.kvm.preCaptureTimeoutMs`. Default: none, so
   * the OS module's own bound holds (a Windows Sysprep may take its 30 minutes).
   */
  preCaptureTimeoutMs?: number | undefined;
  /**
   * Captured images are compressed qcow2 (`qemu-img convert -c`; default true): a smaller
   * library for a slower capture. A capture may choose with `providerOptions.kvm.compress`.
   */
  compressCaptures?: boolean | undefined;
  /** Bound on each host command (default 1 h: full copies and captures of big disks take long). */
  commandTimeoutMs?: number | undefined;
  /**
   * Bound on the wait for a node's or image's host lock, held by another operation on the same
   * host, possibly another orchestrator (default 10 min); past it the operation fails with
   * `ResourceBusyError` (`RESOURCE_BUSY`) before changing anything.
   */
  lockTimeoutMs?: number | undefined;
  events?: ProvkitEmitter | undefined;
  /** Called by `close()`, e.g. to close an `SshPool` made for this provisioner alone. */
  onClose?: (() => Promise<void> | void) | undefined;
}

/** {@link KvmProvisionerOptions} validated, with defaults filled in. */
export type KvmSettings = { [K in Exclude<keyof KvmProvisionerOptions, 'osModule' | 'directKernelBoot' | 'preCaptureTimeoutMs' | 'events' | 'onClose' | 'host'>]-?: Exclude<KvmProvisionerOptions[K], undefined> } & Pick<KvmProvisionerOptions, 'osModule' | 'directKernelBoot' | 'preCaptureTimeoutMs'>;

const MIN_MEMORY_BYTES = 16 * 1024 * 1024;

/** Validates a size (cpus, memory, optional disk) and names the bad field. */
export function checkSize(field: string, size: Partial<SizeSpec>): void {
  checkObject(field, size);
  if (size.cpus !== undefined) checkPositiveInteger(`${field}.cpus`, size.cpus, 256);
  if (size.memoryBytes !== undefined) {
    checkPositiveInteger(`${field}.memoryBytes`, size.memoryBytes);
    if (size.memoryBytes < MIN_MEMORY_BYTES) throw new InvalidInputError(`${field}.memoryBytes`, `${size.memoryBytes} bytes is below the 16 MiB a guest needs`);
  }
  if (size.diskBytes !== undefined) checkPositiveInteger(`${field}.diskBytes`, size.diskBytes);
}

/** Validates the provisioner's settings before it touches anything. */
export function checkSettings(options: KvmProvisionerOptions): KvmSettings {
  checkObject('options', options);
  if (!options.runner || typeof options.runner.run !== 'function') throw new InvalidInputError('runner', 'a CommandRunner is required');
  if (options.host !== undefined && options.host.runner !== options.runner) throw new InvalidInputError('host', 'must run its commands through the same runner as the provisioner');
  const network = options.network === undefined ? { kind: 'network' as const, network: 'default' } : checkObject<KvmNetwork>('network', options.network);
  if (network.kind === 'bridge') checkName('network.bridge', network.bridge);
  else if (network.kind === 'network') checkName('network.network', network.network);
  else if (network.kind === 'user-forward') {
    if (network.guestPort !== undefined) checkPort('network.guestPort', network.guestPort);
    if (network.pciSlot !== undefined) checkPositiveInteger('network.pciSlot', network.pciSlot, 31);
  } else throw new InvalidInputError('network.kind', `unknown network kind ${describeValue((network as { kind: unknown }).kind)}`);
  if (options.domainType !== undefined && options.domainType !== 'kvm' && options.domainType !== 'qemu') throw new InvalidInputError('domainType', 'must be kvm or qemu');
  if (options.clock !== undefined && options.clock !== 'utc' && options.clock !== 'localtime') throw new InvalidInputError('clock', 'must be utc or localtime');
  if (options.uri !== undefined && !/^[a-z+]+:\/\/[^\s'"]*$/.test(options.uri)) throw new InvalidInputError('uri', `${describeValue(options.uri)} is not a libvirt URI`);
  if (options.machine !== undefined && !/^[a-z0-9][a-z0-9._-]*$/.test(options.machine)) throw new InvalidInputError('machine', `${describeValue(options.machine)} is not a machine type`);
  const defaultSize = options.defaultSize === undefined ? { cpus: 1, memoryBytes: 1024 ** 3 } : options.defaultSize;
  checkSize('defaultSize', defaultSize);
  if (options.directKernelBoot) {
    checkAbsolutePath('directKernelBoot.kernel', options.directKernelBoot.kernel);
    if (options.directKernelBoot.initrd !== undefined) checkAbsolutePath('directKernelBoot.initrd', options.directKernelBoot.initrd);
    const cmdline = options.directKernelBoot.cmdline;
    // It goes into the domain XML and the kernel's command line: one line of printable text.
    if (cmdline !== undefined && (typeof cmdline !== 'string' || /[\x00-\x1f\x7f]/.test(cmdline))) throw new InvalidInputError('directKernelBoot.cmdline', 'must be one line of printable text');
  }
  for (const [field, value] of [['bootTimeoutMs', options.bootTimeoutMs], ['shutdownTimeoutMs', options.shutdownTimeoutMs], ['commandTimeoutMs', options.commandTimeoutMs], ['lockTimeoutMs', options.lockTimeoutMs], ['preCaptureTimeoutMs', options.preCaptureTimeoutMs]] as const) {
    if (value !== undefined) checkPositiveInteger(field, value);
  }
  if (options.compressCaptures !== undefined && typeof options.compressCaptures !== 'boolean') throw new InvalidInputError('compressCaptures', 'must be true or false');
  // The library must not be (in) the node disk directory or the other way round: unloading a
  // node named like an image would delete the image.
  checkSeparateDirectories({ field: 'libraryDir', path: options.libraryDir }, { field: 'nodeDiskDir', path: options.nodeDiskDir });
  const osModule = checkOptionalOsModule<KvmProvisionerOptions['osModule']>('osModule', options.osModule);
  const settings: KvmSettings = {
    runner: options.runner,
    libraryDir: checkAbsolutePath('libraryDir', options.libraryDir).replace(/\/+$/, ''),
    nodeDiskDir: checkAbsolutePath('nodeDiskDir', options.nodeDiskDir).replace(/\/+$/, ''),
    uri: options.uri ?? 'qemu:///system',
    domainType: options.domainType ?? 'kvm',
    machine: options.machine ?? 'pc',
    network,
    clock: options.clock ?? 'utc',
    defaultSize,
    consoleLog: options.consoleLog ?? true,
    bootTimeoutMs: options.bootTimeoutMs ?? 300_000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 300_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 3_600_000,
    lockTimeoutMs: options.lockTimeoutMs ?? 600_000,
    compressCaptures: options.compressCaptures ?? true,
  };
  if (options.preCaptureTimeoutMs !== undefined) settings.preCaptureTimeoutMs = options.preCaptureTimeoutMs;
  if (osModule) settings.osModule = osModule;
  if (options.directKernelBoot) settings.directKernelBoot = options.directKernelBoot;
  return settings;
}
