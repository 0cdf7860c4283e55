import {
  ImageNotFoundError,
  InvalidInputError,
  InvalidStateError,
  NodeExistsError,
  NodeNotManagedError,
  OperationFailedError,
  ProvkitError,
  UnsupportedFunctionalityError,
  type LoadOptions,
  type LoadResult,
  type NodeAddress,
  type NodeSpec,
  type OsModuleV1,
  type ProgressEvent,
  type ProgressReporter,
  type ProvkitEmitter,
  type SizeSpec,
} from '@provkit/core';
import type { EsxDriver, EsxNodeFacts, LoadOperation } from './esx-driver.ts';
import { memoryMB, type EsxSettings } from './esx-options.ts';
import { renewWhileRunning } from './lease-renewal.ts';
import { busy, CLEANUP_TIMEOUT_MS, signalOf } from './operation-support.ts';
import { isBusyFault } from './translation/faults.ts';
import { newOperation } from './vsphere/ownership-record.ts';

/** What {@link loadNode} works with: the back end, and the provisioner's locks and events. */
export interface LoadContext {
  driver: EsxDriver;
  settings: EsxSettings;
  events: ProvkitEmitter;
  /** The load's progress reporter (events and the caller's `onProgress`). */
  progress: (onProgress: ((event: ProgressEvent) => void) | undefined) => ProgressReporter;
  /** Runs `task` under this process's lock on the image (held only while cloning). */
  underImageLock: <T>(task: () => Promise<T>, signal: AbortSignal | undefined) => Promise<T>;
  /** Runs `task` as this process's one task on the node's VM (the lease renewal never runs beside it). */
  onVm: <T>(task: () => Promise<T>, signal: AbortSignal | undefined) => Promise<T>;
  /** Powers off and destroys a node provkit made (the old node a load replaces). */
  destroyFound: (facts: EsxNodeFacts, call: { signal?: AbortSignal }) => Promise<boolean>;
}

/** A load's options, validated and with defaults filled in, before any call. */
export interface LoadRequest {
  options: LoadOptions;
  node: NodeSpec;
  image: string;
  size: Partial<SizeSpec>;
  diskMode: 'linked' | 'full';
  ifExists: 'replace' | 'refuse';
  bootTimeoutMs: number;
  osModule: OsModuleV1 | undefined;
}

/** The steps an ESX load can fail at: `OperationFailedError.step` of a failed load, in order. */
export const ESX_LOAD_FAILURE_STEPS = ['replace-node', 'clone', 'size', 'power-on', 'wait-for-tools', 'wait-for-ssh', 'post-load', 'record-ready'] as const;

/** One of {@link ESX_LOAD_FAILURE_STEPS}. */
export type EsxLoadFailureStep = (typeof ESX_LOAD_FAILURE_STEPS)[number];

/**
 * The ESX load, with the node's lock held: checks that change nothing, then the old node's
 * removal (when replacing), the clone (under the image's lock) with its lease renewed while the
 * load runs, the size, power-on, VMware Tools' report, the OS module's SSH wait and postLoad,
 * and the ready record. A failure destroys only the VM this load made (its operation id) and
 * is an `OperationFailedError` naming the step.
 */
export async function loadNode(context: LoadContext, request: LoadRequest): Promise<LoadResult> {
  const { driver, settings } = context;
  const { options, node, image, size, diskMode, ifExists, bootTimeoutMs, osModule } = request;
  const started = Date.now();
  const call = signalOf(options);
  // Checks that change nothing: a failure here leaves nothing to undo.
  const info = await driver.imageInfo(image, call);
  if (info === undefined) throw new ImageNotFoundError(image);
  if (size.diskBytes !== undefined && size.diskBytes !== info.virtualBytes) {
    if (size.diskBytes < info.virtualBytes) throw new InvalidInputError('size.diskBytes', `${size.diskBytes} bytes is below the image's ${info.virtualBytes}`);
    throw new UnsupportedFunctionalityError('growing the system disk at load', 'the esx provisioner');
  }
  // An existing VM of that name is replaced only when provkit made it (its marker) and the caller allows it.
  const existing = await driver.nodeFacts(node.name, call);
  if (existing !== undefined) {
    if (existing.isTemplate) throw new InvalidStateError(`${node.name} is a template (an image), not a node`);
    if (!existing.managed) throw new NodeNotManagedError(node.name);
    // Another orchestrator's load of this node runs: its VM is not this load's to replace.
    if (existing.operation?.alive) throw busy(node.name, existing);
    // A dead load's leftover is no node: it goes whatever ifExists says.
    if (ifExists === 'refuse' && existing.operation?.state !== 'loading') throw new NodeExistsError(node.name);
  }
  const operation: LoadOperation = newOperation(settings.leaseMs);

  const progress = context.progress(options.onProgress);
  progress.step('started', `${diskMode} clone of template ${image}`);
  let step: EsxLoadFailureStep = 'replace-node';
  let created = false;
  let stopRenewal: (() => void) | undefined;
  try {
    if (existing !== undefined) {
      // As VCL's load: the old node goes (powered off hard, destroyed with its own files), whatever it ran.
      await context.destroyFound(existing, call);
      const leftover = existing.operation?.state === 'loading';
      progress.step('node-replaced', leftover
        ? `removed the leftover of a load that died (operation ${existing.operation?.id ?? 'unrecorded'}, ${existing.operation?.owner ?? 'unknown orchestrator'})`
        : `destroyed the ${existing.power} node provkit had made from ${existing.image ?? 'an unrecorded image'}`);
    }
    step = 'clone';
    await context.underImageLock(() => driver.createNode({ node: node.name, image, diskMode, operation }, call), options.signal);
    created = true;
    const renewLease = driver.renewLease?.bind(driver);
    if (renewLease) {
      stopRenewal = renewWhileRunning({
        leaseMs: operation.leaseMs,
        renew: (signal) => context.onVm(() => renewLease(node.name, operation, { signal }), signal),
        // The load's own tasks on its VM (power-on, reconfiguration) can hold it: retried soon.
        isBusy: isBusyFault,
        onFailure: (error, { lapsed }) =>
          context.events.emit('warning', {
            message: `renewing the lease of the load of ${node.name} failed (${error instanceof Error ? error.message : String(error)}); ${lapsed ? 'the VM stayed busy until the lease ran out (other orchestrators may take the load for dead); ' : ''}retried at the next renewal`,
            operation: 'load',
            node: node.name,
          }),
      });
    }
    progress.step('disk-prepared', `${diskMode} clone`);
    if (size.cpus !== undefined || size.memoryBytes !== undefined) {
      step = 'size';
      await context.onVm(() => driver.resizeNode(node.name, { ...(size.cpus ? { cpus: size.cpus } : {}), ...(size.memoryBytes ? { memoryMB: memoryMB(size.memoryBytes) } : {}) }, call), options.signal);
    }
    progress.step('node-defined', size.cpus || size.memoryBytes ? `cpus ${size.cpus ?? 'as image'}, memory ${size.memoryBytes ?? 'as image'} bytes` : 'hardware as the image');

    step = 'power-on';
    // A new machine answers at this address: whatever was learned about the old one goes.
    if (osModule && node.address) await osModule.forgetNode?.({ node, ...call });
    await context.onVm(() => driver.powerOn(node.name, call), options.signal);
    progress.step('powered-on');

    step = 'wait-for-tools';
    const guest = await driver.waitForGuest(node.name, { ...call, timeoutMs: settings.toolsTimeoutMs });
    const address: Required<NodeAddress> = node.address ? { host: node.address.host, port: node.address.port ?? 22 } : { host: guest.ipAddress, port: 22 };
    progress.step('machine-booted', `VMware Tools running, IP ${guest.ipAddress}`);

    if (osModule && node.address) {
      step = 'wait-for-ssh';
      await osModule.waitForResponse({ node, timeoutMs: bootTimeoutMs, ...call });
      step = 'post-load';
      await osModule.postLoad({ node, image, customization: options.customization, onProgress: options.onProgress, ...call });
      progress.step('post-load-done');
    } else if (osModule) {
      // The Tools address is reported, but SSH and post-load go only to an address the caller gave
      // (a customization without one was refused above).
      context.events.emit('warning', { message: 'no node address: SSH wait and post-load skipped', operation: 'load', node: node.name });
    }
    step = 'record-ready';
    stopRenewal?.();
    await context.onVm(async () => driver.markReady?.(node.name, operation, call), options.signal);
    progress.step('load-done');
    return { node: node.name, image, address, durationMs: Date.now() - started };
  } catch (error) {
    stopRenewal?.();
    // Nothing was made (the back end removes what a clone it gave up on made): a name
    // taken meanwhile or a template gone meanwhile is the same error as the pre-checks'.
    if (!created && (ProvkitError.hasCode(error, 'NODE_EXISTS') || ProvkitError.hasCode(error, 'IMAGE_NOT_FOUND'))) throw error;
    if (!created) throw new OperationFailedError('load', step, error);
    let cleanupError: unknown;
    const bound = { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) };
    // Only the VM this load made (its operation id): a VM another orchestrator made under
    // this name meanwhile is left alone.
    const outcome = await (driver.destroyOwned ? driver.destroyOwned(node.name, operation.id, bound) : driver.destroyNode(node.name, bound).then(() => 'destroyed' as const)).catch((failure: unknown) => {
      cleanupError = failure;
      return undefined;
    });
    const undone = outcome === 'destroyed' ? 'destroyed the node it created' : outcome === 'not-ours' ? 'the VM of that name is another operation\'s: left alone' : outcome === 'absent' ? 'its node was already gone' : 'cleanup failed';
    progress.step('load-failed', `at ${step}; ${undone}`);
    throw new OperationFailedError('load', step, error, cleanupError);
  }
}
