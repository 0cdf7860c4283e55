import { checkObject, checkOptionalOsModule, checkPositiveInteger, InvalidInputError, type OsModuleV1, type ProvkitEmitter, type SizeSpec } from '@provkit/core';
import type { VimDriverOptions } from './vsphere/vim-driver.ts';
import type { VimCmdDriverOptions } from './vim-cmd/vim-cmd-driver.ts';
import { DEFAULT_LEASE_MS } from './vsphere/ownership-record.ts';

/**
 * Options of {@link EsxProvisioner}. The back end is chosen by configuration: `api` for a
 * vCenter or an ESXi whose API may write (licensed), `ssh` for an ESXi whose API is
 * read-only (the free license), driven by `vim-cmd` and `vmkfstools` over SSH. Give one.
 */
export interface EsxProvisionerOptions {
  api?: VimDriverOptions;
  ssh?: VimCmdDriverOptions;
  /** OS module for SSH waits, post-load and pre-capture; none: the node is only powered. */
  osModule?: OsModuleV1 | undefined;
  /** Size of nodes when a load gives none (default: the image's own hardware). */
  defaultSize?: Partial<SizeSpec>;
  /** Bound on the wait for VMware Tools and an IP after power on (default 10 min). */
  toolsTimeoutMs?: number;
  /** Bound on the wait for SSH after Tools (default 10 min). */
  bootTimeoutMs?: number;
  /** Bound on the wait for power off before capture and in graceful power off (default 5 min). */
  shutdownTimeoutMs?: number;
  /**
   * Bound handed to the OS module's `preCapture` (generalization and its shutdown). Default:
   * none is passed, so the OS module applies its own (os-windows: 30 min for Sysprep), which
   * knows better than the provisioner how long its guest takes. A capture can also set it
   * with `providerOptions.esx.preCaptureTimeoutMs`.
   */
  preCaptureTimeoutMs?: number;
  /**
   * Lease of a load's ownership record (vSphere API back end; default 2 min): while a load
   * runs it renews the lease every third of it, and another orchestrator takes a `loading` VM
   * whose lease passed (and whose clone ended over a lease ago) for the leftover of a dead
   * load, which it removes. Shorter: a dead load's VM is removed sooner; longer: a load
   * survives longer stalls of its orchestrator.
   */
  leaseMs?: number;
  events?: ProvkitEmitter | undefined;
  /** Called by `close()`, e.g. to close an `SshPool` made for this provisioner alone. */
  onClose?: () => Promise<void> | void;
}

/** Validated settings. */
export interface EsxSettings {
  osModule: OsModuleV1 | undefined;
  defaultSize: Partial<SizeSpec>;
  toolsTimeoutMs: number;
  bootTimeoutMs: number;
  shutdownTimeoutMs: number;
  preCaptureTimeoutMs: number | undefined;
  leaseMs: number;
}

/** Validates the options that need no host. */
export function checkSettings(options: EsxProvisionerOptions): EsxSettings {
  checkObject('options', options);
  if ((options.api === undefined) === (options.ssh === undefined)) throw new InvalidInputError('backend', 'give exactly one of api (vSphere API) or ssh (vim-cmd over SSH)');
  if (options.defaultSize !== undefined) checkPartialSize('defaultSize', options.defaultSize);
  return {
    osModule: checkOptionalOsModule<OsModuleV1>('osModule', options.osModule),
    defaultSize: options.defaultSize ?? {},
    toolsTimeoutMs: options.toolsTimeoutMs === undefined ? 600_000 : checkPositiveInteger('toolsTimeoutMs', options.toolsTimeoutMs),
    bootTimeoutMs: options.bootTimeoutMs === undefined ? 600_000 : checkPositiveInteger('bootTimeoutMs', options.bootTimeoutMs),
    shutdownTimeoutMs: options.shutdownTimeoutMs === undefined ? 300_000 : checkPositiveInteger('shutdownTimeoutMs', options.shutdownTimeoutMs),
    preCaptureTimeoutMs: options.preCaptureTimeoutMs === undefined ? undefined : checkPositiveInteger('preCaptureTimeoutMs', options.preCaptureTimeoutMs),
    leaseMs: options.leaseMs === undefined ? DEFAULT_LEASE_MS : checkPositiveInteger('leaseMs', options.leaseMs),
  };
}

const MIB = 1024 * 1024;

/** Checks a (partial) size: positive integer cpus, memory a positive whole number of 4 MiB. */
export function checkPartialSize(field: string, size: Partial<SizeSpec>): void {
  checkObject(field, size);
  // vSphere 8 allows at most 768 virtual CPUs per machine.
  if (size.cpus !== undefined) checkPositiveInteger(`${field}.cpus`, size.cpus, 768);
  if (size.memoryBytes !== undefined) {
    checkPositiveInteger(`${field}.memoryBytes`, size.memoryBytes);
    // vSphere takes memory in MiB, in multiples of 4.
    if (size.memoryBytes % (4 * MIB) !== 0) throw new InvalidInputError(`${field}.memoryBytes`, `${size.memoryBytes} is not a multiple of 4 MiB`);
  }
  if (size.diskBytes !== undefined) checkPositiveInteger(`${field}.diskBytes`, size.diskBytes);
}

/** Memory in the MiB vSphere counts in. */
export function memoryMB(bytes: number): number {
  return bytes / MIB;
}
