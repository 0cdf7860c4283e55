import {
  ImageExistsError,
  InvalidInputError,
  InvalidStateError,
  NodeNotFoundError,
  OperationFailedError,
  ProvkitError,
  type CaptureOptions,
  type CaptureResult,
  type NodeSpec,
  type OsModuleV1,
  type ProgressEvent,
  type ProgressReporter,
} from '@provkit/core';
import type { EsxDriver } from './esx-driver.ts';
import type { EsxSettings } from './esx-options.ts';
import { busy, signalOf } from './operation-support.ts';
import { newOperation } from './vsphere/ownership-record.ts';

/** What {@link captureNode} works with: the back end, and the provisioner's power-off. */
export interface CaptureContext {
  driver: EsxDriver;
  settings: EsxSettings;
  /** The capture's progress reporter (events and the caller's `onProgress`). */
  progress: (onProgress: ((event: ProgressEvent) => void) | undefined) => ProgressReporter;
  /** powerOff's path: graceful (Tools shutdown, then forced after `timeoutMs`) or hard. */
  powerOff: (mode: 'graceful' | 'hard', timeoutMs: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** A capture's options, validated and with defaults filled in, before any call. */
export interface CaptureRequest {
  options: CaptureOptions;
  node: NodeSpec;
  image: string;
  endState: 'on' | 'off' | 'reboot';
  shutdownTimeoutMs: number;
  /** The OS module's own bound when undefined (a Sysprep is not a shutdown). */
  preCaptureTimeoutMs: number | undefined;
  /** Undefined for an ungeneralized copy (`skipPreCapture`). */
  osModule: OsModuleV1 | undefined;
}

/** The steps an ESX capture can fail at: `OperationFailedError.step` of a failed capture, in order. */
export const ESX_CAPTURE_FAILURE_STEPS = ['pre-capture', 'wait-for-power-off', 'copy-to-template', 'power-on'] as const;

/** One of {@link ESX_CAPTURE_FAILURE_STEPS}. */
export type EsxCaptureFailureStep = (typeof ESX_CAPTURE_FAILURE_STEPS)[number];

/**
 * The ESX capture, with the node's and the image's locks held: the node must be provkit's,
 * finished and (to be generalized) on; the OS module generalizes it over SSH (at the given
 * address, else the one VMware Tools report), it powers off, and the back end makes the
 * template atomically (temporary name, then rename); end state `on` or `reboot` starts it again.
 */
export async function captureNode(context: CaptureContext, request: CaptureRequest): Promise<CaptureResult> {
  const { driver, settings } = context;
  const { options, node, image, endState, shutdownTimeoutMs, preCaptureTimeoutMs, osModule } = request;
  const call = signalOf(options);
  const started = Date.now();
  if ((await driver.imageInfo(image, call)) !== undefined) throw new ImageExistsError(image);
  const facts = await driver.nodeFacts(node.name, call);
  if (facts === undefined) throw new NodeNotFoundError(node.name);
  if (facts.isTemplate) throw new InvalidStateError(`${node.name} is a template, not a node`);
  if (facts.operation?.alive) throw busy(node.name, facts);
  if (facts.operation?.state === 'loading') throw new InvalidStateError(`${node.name} is the leftover of a load that died (operation ${facts.operation.id ?? 'unrecorded'}): unload it or load it again`);
  if (osModule && facts.power !== 'on') throw new InvalidStateError(`node ${node.name} is ${facts.power}: it cannot be generalized (power it on, or pass skipPreCapture: true for an ungeneralized copy)`);
  // Generalizing goes over SSH: at the given address, else the one VMware Tools report (discoversAddress).
  const address = node.address ?? (facts.ipAddress ? { host: facts.ipAddress, port: 22 } : undefined);
  if (osModule && !address) throw new InvalidInputError('node.address', `capture of ${node.name} generalizes it over SSH, which needs its address, and VMware Tools report none (give node.address, or pass skipPreCapture: true for an ungeneralized copy)`);
  const progress = context.progress(options.onProgress);
  progress.step('started');
  let step: EsxCaptureFailureStep = 'pre-capture';
  try {
    if (osModule) {
      // The shutdown bound is not the OS module's: generalizing (Sysprep) takes far longer
      // than a shutdown, and the module knows its own bound.
      // address: checked above (no OS module capture without one).
      await osModule.preCapture({ node: { ...node, address: address! }, endState: 'off', timeoutMs: preCaptureTimeoutMs, onProgress: options.onProgress, ...call });
      progress.step('pre-capture-done');
    } else if (facts.power !== 'off') {
      await context.powerOff(facts.toolsRunning ? 'graceful' : 'hard', shutdownTimeoutMs, options.signal);
    }
    step = 'wait-for-power-off';
    await driver.waitForPowerOff(node.name, { ...call, timeoutMs: shutdownTimeoutMs });
    progress.step('powered-off');
    step = 'copy-to-template';
    const operation = newOperation(settings.leaseMs);
    const size = await driver.captureNode(node.name, image, { ...call, operation });
    progress.step('image-stored', `template ${image}, ${size.allocatedBytes} bytes in files`);
    if (endState !== 'off') {
      step = 'power-on';
      await driver.powerOn(node.name, call);
      progress.step('powered-on');
    }
    progress.step('capture-done');
    return { image, sizeBytes: size.allocatedBytes, virtualBytes: size.virtualBytes, durationMs: Date.now() - started };
  } catch (error) {
    progress.step('capture-failed', `at ${step}`);
    if (ProvkitError.hasCode(error, 'IMAGE_EXISTS')) throw error;
    throw new OperationFailedError('capture', step, error);
  }
}
