import { checkObject, checkPositiveInteger, InvalidInputError } from '@provkit/core';

/**
 * The KVM provisioner's own capture options, `providerOptions.kvm` of `capture`:
 * `compress` chooses a compressed qcow2 image (smaller library, slower capture; the
 * provisioner's `compressCaptures`, default true, when not given); `preCaptureTimeoutMs`
 * bounds the OS module's `preCapture` (its generalization and the guest's shutdown; the
 * provisioner's `preCaptureTimeoutMs` when not given, else the OS module's own bound).
 */
export interface KvmCaptureOptions {
  compress?: boolean;
  preCaptureTimeoutMs?: number;
}

/** What a capture does, decided from {@link KvmCaptureOptions} and the provisioner's settings. */
export interface CaptureChoices {
  compress: boolean;
  /** `undefined`: the OS module's own preCapture bound (a Windows Sysprep's 30 min, a Linux shutdown's). */
  preCaptureTimeoutMs: number | undefined;
}

/** `providerOptions.kvm` of a capture, validated, over the provisioner's defaults. */
export function checkKvmCaptureOptions(providerOptions: Record<string, Record<string, unknown>> | undefined, defaults: { compressCaptures: boolean; preCaptureTimeoutMs?: number | undefined }): CaptureChoices {
  const given = providerOptions?.['kvm'];
  const kvm = given === undefined ? {} : checkObject<KvmCaptureOptions>('providerOptions.kvm', given);
  const known = new Set(['compress', 'preCaptureTimeoutMs']);
  const unknown = Object.keys(kvm).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new InvalidInputError(`providerOptions.kvm.${unknown[0]}`, `is not an option of the KVM provisioner's capture (known: ${[...known].join(', ')})`);
  if (kvm.compress !== undefined && typeof kvm.compress !== 'boolean') throw new InvalidInputError('providerOptions.kvm.compress', 'must be true or false');
  const preCaptureTimeoutMs = kvm.preCaptureTimeoutMs === undefined ? defaults.preCaptureTimeoutMs : checkPositiveInteger('providerOptions.kvm.preCaptureTimeoutMs', kvm.preCaptureTimeoutMs);
  return { compress: kvm.compress ?? defaults.compressCaptures, preCaptureTimeoutMs };
}
