import type { KitCheck } from '../kit/check.ts';
import { registerChecks } from '../kit/run-checks.ts';
import { provisionerAbortChecks } from './abort-checks.ts';
import { provisionerCaptureChecks } from './capture-checks.ts';
import { provisionerImagesChecks } from './images-checks.ts';
import { provisionerInputChecks } from './input-checks.ts';
import { provisionerLifecycleChecks } from './lifecycle-checks.ts';
import type { ProvisionerKitOptions, ProvisionerSuiteOptions } from './options.ts';
import { provisionerReplaceChecks } from './replace-checks.ts';
import { provisionerSafetyChecks } from './safety-checks.ts';
import { provisionerShapeChecks } from './shape-checks.ts';

/**
 * Every provisioner check the options ask for, as plain functions (see `runChecks`): the
 * groups without loads, then, unless `skipLoads`, lifecycle, capture, reload and abort.
 */
export function provisionerChecks(options: ProvisionerKitOptions): KitCheck[] {
  const quick = [...provisionerShapeChecks(options), ...provisionerImagesChecks(options), ...provisionerInputChecks(options), ...provisionerSafetyChecks(options)];
  if (options.skipLoads) return quick;
  return [
    ...quick,
    ...provisionerLifecycleChecks(options),
    ...provisionerCaptureChecks(options),
    ...provisionerReplaceChecks(options),
    ...(options.skipAbortAtEachStep ? [] : provisionerAbortChecks(options)),
  ];
}

/** Contract shape, capabilities as data, retrieveImage as declared. */
export function provisionerShapeSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerShapeChecks(options));
}

/** The image library without loads. */
export function provisionerImagesSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerImagesChecks(options));
}

/** Hostile input per operation and an already-aborted signal. */
export function provisionerInputSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerInputChecks(options));
}

/** Absent nodes and images, unmanaged nodes, captures that cannot generalize. */
export function provisionerSafetySuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerSafetyChecks(options));
}

/** Load → ready → unload, power, secrets (loads nodes; needs `osModule`). */
export function provisionerLifecycleSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerLifecycleChecks(options));
}

/** Capture, loading the capture elsewhere, deleting it, end states (loads nodes; needs `osModule`). */
export function provisionerCaptureSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerCaptureChecks(options));
}

/** Load over an existing node, `ifExists: 'refuse'`, concurrent loads (loads nodes; needs `osModule`). */
export function provisionerReloadSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerReplaceChecks(options));
}

/** An abort at each load step (one load per step; needs `osModule`). */
export function provisionerAbortSuite(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerAbortChecks(options));
}

/** Every provisioner suite the options ask for (see {@link provisionerChecks}). */
export function provisionerConformance(options: ProvisionerSuiteOptions): void {
  registerChecks(options, provisionerChecks(options));
}
