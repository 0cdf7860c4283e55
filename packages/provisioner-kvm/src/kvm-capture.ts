import {
  CaptureFailedError,
  ImageExistsError,
  InvalidStateError,
  type ProgressReporter,
  type CaptureNodeState,
  type CaptureOptions,
  type CaptureResult,
  type OsModuleV1,
  type ProgressEvent,
} from '@provkit/core';
import type { CheckedNode } from './checked-node.ts';
import type { ImageLibrary } from './image-library.ts';
import type { CaptureChoices } from './kvm-capture-options.ts';
import { tempPathFor, type KvmHost } from './kvm-host.ts';
import type { KvmSettings } from './kvm-options.ts';
import type { NodeControl } from './node-control.ts';
import { CLEANUP_TIMEOUT_MS } from './transient-fault.ts';
import { powerStateOf } from './translation/virsh-output.ts';

/** Bound on the ACPI shutdown of a guest whose capture failed mid-generalization, before it is forced off. */
const CAPTURE_ABANDON_SHUTDOWN_MS = 30_000;

/** What {@link captureNode} works with: the host and library, and the provisioner's own steps it reuses. */
export interface CaptureContext {
  host: KvmHost;
  library: ImageLibrary;
  control: NodeControl;
  settings: Pick<KvmSettings, 'commandTimeoutMs' | 'libraryDir'>;
  /** The capture's progress reporter (events and the caller's `onProgress`). */
  progress: (onProgress: ((event: ProgressEvent) => void) | undefined) => ProgressReporter;
  /** Boots' wait, as load waits: the guest's SSH through the OS module, a stopped domain ending it. */
  waitForBoot: (osModule: OsModuleV1, signal: AbortSignal | undefined) => Promise<void>;
  /** powerOff's graceful path (ACPI, then forced after `timeoutMs`, with its warning). */
  powerOff: (timeoutMs: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** A capture's options, validated and with defaults filled in, before any command runs. */
export interface CaptureRequest {
  options: CaptureOptions;
  node: CheckedNode;
  image: string;
  endState: 'on' | 'off' | 'reboot';
  shutdownTimeoutMs: number;
  /** Undefined for an ungeneralized copy (`skipPreCapture`). */
  osModule: OsModuleV1 | undefined;
  /** `providerOptions.kvm`, checked: compression and the preCapture bound. */
  choices: CaptureChoices;
}

/** The steps a KVM capture can fail at: `CaptureFailedError.step` of a failed capture, in order. */
export const KVM_CAPTURE_FAILURE_STEPS = ['restart-for-pre-capture', 'boot-for-pre-capture', 'pre-capture', 'wait-for-power-off', 'copy-disk'] as const;

/** One of {@link KVM_CAPTURE_FAILURE_STEPS}. */
export type KvmCaptureFailureStep = (typeof KVM_CAPTURE_FAILURE_STEPS)[number];

/**
 * KVM's capture, with the node's and the image's host locks held: generalize the node through
 * the OS module (or copy it as it is, `skipPreCapture`), wait until it is off, copy its disk into
 * a hidden name in the library and rename it into place, then start it again for end state `on`
 * or `reboot`. What an earlier capture left is recorded on the domain, and the node's real state
 * decides what this one still does, so a retry converges whichever step the last one stopped at.
 * Every failure is a `CaptureFailedError` naming the step and the node's state read afterwards.
 */
export async function captureNode(context: CaptureContext, request: CaptureRequest): Promise<CaptureResult> {
  const { host, library, control, settings } = context;
  const { options, node, image, endState, shutdownTimeoutMs, osModule, choices } = request;
  const started = Date.now();
  const signal = options.signal;
  const call = { signal, timeoutMs: settings.commandTimeoutMs };
  if (await library.exists(image, call)) throw new ImageExistsError(image, library.where);
  let state = await control.state(node.name, signal);
  const disk = (await host.blockDevices(node.name, call)).find((device) => device.device === 'disk' && device.source)?.source;
  if (!disk) throw new InvalidStateError(`node ${node.name} has no disk to capture`);

  // What an earlier capture of this node left (recorded on the domain, so any process sees
  // it): the node's real state decides what this one still has to do, so a plain retry
  // converges whichever step the last attempt stopped at.
  const record = osModule ? await host.captureRecord(node.name, call) : undefined;
  const alreadyGeneralized = record?.phase === 'generalized' && powerStateOf(state) === 'off' && record.disk === (await host.fileFingerprint(disk, call));
  const progress = context.progress(options.onProgress);
  const plan = !osModule || alreadyGeneralized ? '' : record?.phase === 'generalizing' ? '; an earlier capture stopped while generalizing: the node is restarted and generalized again' : '';
  progress.step('started', `disk ${disk}${plan}`);
  let step: KvmCaptureFailureStep = 'pre-capture';
  /** True once this capture may have changed the guest (its generalization started). */
  let generalizing = false;
  const temp = tempPathFor(settings.libraryDir, `${image}.qcow2`);
  try {
    if (osModule && alreadyGeneralized) {
      progress.step('pre-capture-done', `skipped: generalized and shut down for capture of ${record!.image}, disk unchanged since`);
    } else if (osModule) {
      if (record?.phase === 'generalizing' && powerStateOf(state) !== 'off') {
        // Partly generalized and running (its SSH host keys may be gone): a fresh boot runs
        // the generalization's first-boot hook, which makes the guest reachable again.
        step = 'restart-for-pre-capture';
        await control.bringOff(node.name, shutdownTimeoutMs, signal);
        state = 'shut off';
      }
      if (powerStateOf(state) === 'off' && record?.phase !== 'generalizing') {
        // Off, and no capture of provkit's left it generalized as it is now: what is on the
        // disk is unknown (the contract's "a node that is off cannot be generalized").
        throw new InvalidStateError(`node ${node.name} is off and not generalized for capture (no earlier capture left it so, or its disk changed since); power it on to generalize it, or pass skipPreCapture: true for an ungeneralized copy`);
      }
      if (powerStateOf(state) === 'off') {
        step = 'boot-for-pre-capture';
        await osModule.forgetNode?.({ node, signal });
        await host.start(node.name, call);
        await context.waitForBoot(osModule, signal);
      }
      step = 'pre-capture';
      await host.setCaptureRecord(node.name, { image, phase: 'generalizing' }, call);
      generalizing = true;
      // The OS module's own bound unless one was given: a Sysprep is not a shutdown.
      await osModule.preCapture({ node, endState: 'off', timeoutMs: choices.preCaptureTimeoutMs, onProgress: options.onProgress, signal });
      progress.step('pre-capture-done');
    } else if (powerStateOf(state) !== 'off') {
      // An explicitly ungeneralized copy of a running node: shut down as powerOff does
      // (ACPI, then forced after the bound), so the copy is of a disk nobody writes to.
      await context.powerOff(shutdownTimeoutMs, signal);
    }
    step = 'wait-for-power-off';
    await control.waitForOff(node.name, shutdownTimeoutMs, signal);
    if (generalizing) {
      // Generalized and off: a retry after a later failure copies this disk as it is.
      await host.setCaptureRecord(node.name, { image, phase: 'generalized', disk: await host.fileFingerprint(disk, call) }, call);
      generalizing = false;
    }
    progress.step('powered-off');

    step = 'copy-disk';
    await host.convert(disk, temp, { ...call, compress: choices.compress });
    if (!(await host.renameNoClobber(temp, library.path(image), call))) throw new ImageExistsError(image, library.where);
    progress.step('image-stored', library.path(image));
  } catch (error) {
    const cleanup = { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) };
    let cleanupError: unknown;
    await host.remove([temp], cleanup).catch((failure: unknown) => {
      cleanupError = failure;
    });
    // A guest whose generalization started and did not finish (an abort, a failed
    // operation, a shutdown that never came) is never left running half-generalized: it is
    // shut down (ACPI, then forced) and stays recorded as partly generalized, so the next
    // capture boots it afresh and generalizes it again.
    if (generalizing) {
      await control.bringOff(node.name, Math.min(shutdownTimeoutMs, CAPTURE_ABANDON_SHUTDOWN_MS), cleanup.signal).catch((failure: unknown) => {
        cleanupError ??= failure;
      });
    }
    const nodeState = await nodeStateAfterFailure(host, node.name, disk, cleanup.signal);
    const failure = new CaptureFailedError(node.name, step, error, nodeState, cleanupError);
    progress.step('capture-failed', `at ${step}; ${cleanupError === undefined ? 'the library is as it was' : 'cleanup failed'}; node power ${nodeState.power}, generalized ${nodeState.generalized}`);
    throw failure;
  }
  const size = await library.size(image, call);
  if (endState !== 'off') {
    // The node now boots the generalized disk, with new host keys: the record no longer holds.
    await host.clearCaptureRecord(node.name, call);
    await osModule?.forgetNode?.({ node, signal });
    await host.start(node.name, call);
    progress.step('powered-on');
  }
  progress.step('capture-done');
  return { image, sizeBytes: size.allocatedBytes, virtualBytes: size.virtualBytes, durationMs: Date.now() - started };
}

/** The node's state after a failed capture, read from the host (never assumed from the step). */
async function nodeStateAfterFailure(host: KvmHost, name: string, disk: string, signal: AbortSignal): Promise<CaptureNodeState> {
  try {
    const state = await host.domainState(name, { signal });
    if (state === undefined) return { power: 'absent', generalized: 'unknown' };
    const power = powerStateOf(state);
    const record = await host.captureRecord(name, { signal });
    if (record === undefined) return { power, generalized: 'no' };
    if (record.phase === 'generalizing') return { power, generalized: 'partly' };
    return { power, generalized: power === 'off' && record.disk === (await host.fileFingerprint(disk, { signal })) ? 'yes' : 'no' };
  } catch {
    return { power: 'unknown', generalized: 'unknown' };
  }
}
