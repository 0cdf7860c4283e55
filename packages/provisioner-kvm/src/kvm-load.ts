import {
  ImageNotFoundError,
  InvalidInputError,
  InvalidStateError,
  NodeNotManagedError,
  NodeExistsError,
  OperationFailedError,
  ProvkitError,
  throwIfAborted,
  type LoadOptions,
  type LoadResult,
  type OsModuleV1,
  type ProgressEvent,
  type ProgressReporter,
  type SizeSpec,
} from '@provkit/core';
import { waitForBoot } from './boot-wait.ts';
import type { CheckedNode } from './checked-node.ts';
import type { DiskDetacher } from './disk-detacher.ts';
import { DiskNotStarted, prepareNodeDisk } from './disk-preparation.ts';
import type { HostLocks } from './host-lock.ts';
import type { ImageLibrary } from './image-library.ts';
import { newIntentRecord, type IntentRecord } from './intent-record.ts';
import type { KvmHost } from './kvm-host.ts';
import type { KvmSettings } from './kvm-options.ts';
import type { IndependentSettings } from './make-independent-options.ts';
import type { NodeControl } from './node-control.ts';
import type { NodeJournal } from './node-journal.ts';
import { buildDomainXml } from './translation/domain-xml.ts';
import { nodeDomainSpec } from './translation/node-domain-spec.ts';

/** What {@link loadNode} works with: the host, library and locks, and the provisioner's parts. */
export interface LoadContext {
  host: KvmHost;
  library: ImageLibrary;
  hostLocks: HostLocks;
  control: NodeControl;
  journal: NodeJournal;
  detacher: DiskDetacher;
  settings: KvmSettings;
  /** A progress reporter of the load's node and image for `operation` (`load`, `makeIndependent`). */
  progress: (operation: string, onProgress: ((event: ProgressEvent) => void) | undefined) => ProgressReporter;
  /** Runs `task` under this process's mutex on the image. */
  serializeImage: (task: () => Promise<void>, signal: AbortSignal | undefined) => Promise<void>;
}

/** A load's options, validated and with defaults filled in, before any command runs. */
export interface LoadRequest {
  options: LoadOptions;
  node: CheckedNode;
  image: string;
  size: SizeSpec;
  diskMode: 'linked' | 'full';
  ifExists: 'replace' | 'refuse';
  osModule: OsModuleV1;
  bootTimeoutMs: number;
  /** Set when the node is to end independent of its image (`providerOptions.kvm.independent`). */
  independent: IndependentSettings | undefined;
}

/**
 * The steps a KVM load can fail at: `OperationFailedError.step` of a failed load (the checks
 * before anything is made, then each step of the load in order).
 */
export const KVM_LOAD_FAILURE_STEPS = ['check-image', 'check-node', 'record-intent', 'replace-node', 'prepare-disk', 'define-domain', 'power-on', 'start-block-pull', 'wait-for-boot', 'post-load', 'make-independent'] as const;

/** One of {@link KVM_LOAD_FAILURE_STEPS}. */
export type KvmLoadFailureStep = (typeof KVM_LOAD_FAILURE_STEPS)[number];

/**
 * KVM's load, with the node's host lock held and an interrupted operation's leftovers already
 * undone: checks that change nothing, then the intent record, the old node's removal (when
 * replacing), the disk, the domain, power-on, the wait for SSH, the OS module's postLoad and,
 * when asked, independence from the image. A failure undoes what this load made (only what its
 * record names) and is an `OperationFailedError` naming the step. The record is removed by the
 * caller with the node's lock (`done()` then reports `load-done`).
 */
export async function loadNode(context: LoadContext, request: LoadRequest): Promise<{ intent: IntentRecord; done: () => LoadResult }> {
  const { host, library, control, journal, detacher, settings } = context;
  const { options, node, image, size, diskMode, ifExists, osModule, bootTimeoutMs, independent } = request;
  const started = Date.now();
  const signal = options.signal;
  const call = { signal, timeoutMs: settings.commandTimeoutMs };
  const libraryPath = library.path(image);
  const diskPath = control.diskPath(node.name);

  const missingImage = (): ImageNotFoundError => new ImageNotFoundError(image, library.where);
  // Checks that need the host but change nothing: a failure here leaves nothing to undo, and
  // an abort during them still says which check it stopped (nothing was created).
  let checking: KvmLoadFailureStep = 'check-image';
  const checked = async <T>(check: () => Promise<T>): Promise<T> => {
    try {
      return await check();
    } catch (error) {
      if (ProvkitError.hasCode(error, 'ABORTED')) throw new OperationFailedError('load', checking, error);
      throw error;
    }
  };
  const chain = await checked(() => host.imageInfo(libraryPath, call));
  if (!chain) throw missingImage();
  const imageBytes = chain[0]!.virtualBytes;
  if (size.diskBytes !== undefined && size.diskBytes < imageBytes) {
    throw new InvalidInputError('size.diskBytes', `${size.diskBytes} bytes is below the image's ${imageBytes}`);
  }
  // An existing domain is replaced only when provkit made it (its marker) and the caller allows it.
  checking = 'check-node';
  const existing = await checked(() => host.domainState(node.name, call));
  if (existing !== undefined) {
    if (!(await checked(() => host.provkitRecord(node.name, call))).managed) throw new NodeNotManagedError(node.name);
    if (ifExists === 'refuse') throw new NodeExistsError(node.name);
  } else if (await checked(() => host.fileExists(diskPath, call))) {
    throw new InvalidStateError(`node ${node.name} has a leftover disk ${diskPath}; unload the node first`);
  }

  const progress = context.progress('load', options.onProgress);
  progress.step('started', `${diskMode} disk from ${libraryPath}`);
  let step: KvmLoadFailureStep = 'record-intent';
  let created = false;
  // Written before anything is made: the next call undoes what this load made, if it dies.
  const intent = newIntentRecord({ operation: 'load', node: node.name, domain: node.name, paths: [diskPath, control.consoleLogPath(node.name)], image });
  try {
    await journal.write(intent, call);
    step = 'replace-node';
    if (existing !== undefined) {
      // As VCL's load: the old node goes (hard power-off, its own disks, its definition), whatever it ran.
      created = true;
      await control.remove(node.name, signal);
      progress.step('node-replaced', `removed the ${existing} node provkit had defined`);
    }
    step = 'prepare-disk';
    const createdBefore = created;
    created = true;
    await prepareNodeDisk(
      { host, hostLocks: context.hostLocks, library, lockTimeoutMs: settings.lockTimeoutMs, serialize: (task) => context.serializeImage(task, signal) },
      { image, libraryPath, diskPath, diskMode, imageBytes, size, call },
    ).catch((error: unknown) => {
      // The lock was busy or the image gone: the command stopped before it wrote anything.
      if (error instanceof DiskNotStarted) {
        created = createdBefore;
        throw error.cause;
      }
      throw error;
    });
    progress.step('disk-prepared', diskPath);

    step = 'define-domain';
    await host.define(buildDomainXml(nodeDomainSpec(settings, { node, image, size, diskPath, consoleLogPath: control.consoleLogPath(node.name) })), call);
    progress.step('node-defined');

    step = 'power-on';
    // A new machine answers at this address: whatever was learned about the old one goes.
    await osModule.forgetNode?.({ node, signal });
    await host.start(node.name, call);
    progress.step('powered-on');
    // The block pull runs in QEMU while the guest boots and post-load runs; awaited at the end.
    if (independent && diskMode === 'linked') {
      step = 'start-block-pull';
      await detacher.startPulls(node.name, independent, signal);
    }

    step = 'wait-for-boot';
    await waitForBoot(host, node, osModule, bootTimeoutMs, signal);
    progress.step('machine-booted', `SSH answered at ${node.address!.host}:${node.address!.port ?? 22}`);

    step = 'post-load';
    await osModule.postLoad({ node, image, customization: options.customization, onProgress: options.onProgress, signal });
    progress.step('post-load-done');
    if (independent) {
      step = 'make-independent';
      await detacher.run(node.name, independent, context.progress('makeIndependent', options.onProgress), signal);
    }
    // An abort that arrived with the last step still undoes the load: the caller gave up on it.
    throwIfAborted(signal, `load of ${node.name}`);
  } catch (error) {
    // The image is not in the library and nothing was made: the caller's error, as it is.
    if (!created && ProvkitError.hasCode(error, 'IMAGE_NOT_FOUND')) {
      await journal.undoLoad(intent, false).catch(() => undefined);
      throw error;
    }
    let cleanupError: unknown;
    // Only what this load's own record names, retried through transient faults; a record
    // left after a failed clean-up lets the next call finish it.
    await journal.undoLoad(intent, created).catch((failure: unknown) => {
      cleanupError = failure;
    });
    progress.step('load-failed', `at ${step}; ${!created ? 'nothing was created' : cleanupError === undefined ? 'removed what the load created' : 'cleanup failed'}`);
    throw new OperationFailedError('load', step, error, cleanupError);
  }
  // The record goes with the node's lock, in one command (#finishLoad); then the load is done.
  return {
    intent,
    done: () => {
      progress.step('load-done');
      return { node: node.name, image, address: { host: node.address!.host, port: node.address!.port ?? 22 }, durationMs: Date.now() - started };
    },
  };
}
