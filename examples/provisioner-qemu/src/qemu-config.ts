import { InvalidInputError, checkHost, checkIpAddress, checkPort, checkPositiveInteger, type NodeSpec, type OsModuleV1, type SizeSpec } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { checkSafePath } from './qemu-commands.ts';

/** Configuration of `QemuProvisioner`. */
export interface QemuProvisionerConfig {
  /** Runs commands on the QEMU host: `new LocalRunner()` or an `SshPool` runner. */
  host: CommandRunner;
  /** The image library: `<name>-v<rev>.qcow2` files. */
  libraryDir: string;
  /** Where each node gets a directory with its overlay, pidfile, QMP socket and start script. */
  nodesDir: string;
  /** Kernel and initramfs for direct kernel boot, on the host. */
  kernelPath: string;
  initrdPath: string;
  /** Default `console=ttyS0 root=/dev/vda`. */
  kernelCmdline?: string;
  /** The OS module for waiting, post-load, `nodeStatus` and `preCapture` (a load may pass its own). */
  osModule?: OsModuleV1;
  /** Host address QEMU binds each node's SSH forward to (default `127.0.0.1`). */
  forwardAddress?: string;
  /** Hardware when a load names none (default 1 CPU, 256 MiB). */
  defaultSize?: SizeSpec;
  /** Bound on the wait for a loaded node to answer SSH (default 5 min: TCG guests are slow). */
  bootTimeoutMs?: number;
  /** Default `qemu-system-x86_64`. */
  qemuBinary?: string;
}

const MIB = 2 ** 20;

/** The configuration with defaults applied and every value checked. */
export type ResolvedConfig = Required<Omit<QemuProvisionerConfig, 'osModule' | 'host'>>;

/** Applies defaults and refuses bad values with `InvalidInputError` naming the field. */
export function checkConfig(config: QemuProvisionerConfig): ResolvedConfig {
  return {
    libraryDir: checkSafePath('libraryDir', config.libraryDir),
    nodesDir: checkSafePath('nodesDir', config.nodesDir),
    kernelPath: checkSafePath('kernelPath', config.kernelPath),
    initrdPath: checkSafePath('initrdPath', config.initrdPath),
    kernelCmdline: config.kernelCmdline ?? 'console=ttyS0 root=/dev/vda',
    forwardAddress: checkIpAddress('forwardAddress', config.forwardAddress ?? '127.0.0.1'),
    defaultSize: checkSize('defaultSize', config.defaultSize ?? { cpus: 1, memoryBytes: 256 * MIB }),
    bootTimeoutMs: checkPositiveInteger('bootTimeoutMs', config.bootTimeoutMs ?? 300_000),
    qemuBinary: config.qemuBinary ?? 'qemu-system-x86_64',
  };
}

/** A node of this provisioner is reached through its SSH forward, so the port is required. */
export function sshAddress(node: NodeSpec): { host: string; port: number } {
  if (!node.address) throw new InvalidInputError('node.address', 'is required: the node is reached through a forwarded SSH port');
  return { host: checkHost('node.address.host', node.address.host), port: checkPort('node.address.port', node.address.port) };
}

/** Checks a size: whole CPUs, at least 64 MiB of memory, a positive disk size if any. */
export function checkSize(field: string, size: SizeSpec): SizeSpec {
  checkPositiveInteger(`${field}.cpus`, size.cpus, 64);
  checkPositiveInteger(`${field}.memoryBytes`, size.memoryBytes);
  if (size.memoryBytes < 64 * MIB) throw new InvalidInputError(`${field}.memoryBytes`, 'must be at least 64 MiB');
  if (size.diskBytes !== undefined) checkPositiveInteger(`${field}.diskBytes`, size.diskBytes);
  return size;
}
