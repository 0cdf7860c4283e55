import { checkObject, checkPositiveInteger, InvalidInputError, type NodeOperationOptions, type ProgressEvent } from '@provkit/core';

/** Default bound on making a node's disks independent: a pull copies the whole image once. */
export const DEFAULT_INDEPENDENT_TIMEOUT_MS = 3_600_000;

/** Options of `KvmProvisioner.makeIndependent`. */
export interface MakeIndependentOptions extends NodeOperationOptions {
  /**
   * Bound on the whole operation (default one hour). Past it a running block pull is cancelled
   * and the disk stays linked, valid and bootable; the error is a `TimeoutError` in an
   * `OperationFailedError`.
   */
  timeoutMs?: number;
  /** Caps a live block pull's copy rate in MiB/s (libvirt's `--bandwidth`); no cap by default. */
  bandwidthMiBps?: number;
  /** Receives the operation's progress events (`block-pull-progress` carries the percentage). */
  onProgress?: (event: ProgressEvent) => void;
}

/** How one disk was made independent. */
export type IndependentMethod = 'block-pull' | 'rebase' | 'none';

/** One disk of a node after `makeIndependent`. */
export interface IndependentDisk {
  /** The disk's target in the domain (`vda`). */
  target: string;
  /** The disk's file on the host. */
  path: string;
  /**
   * `block-pull`: pulled while the domain ran; `rebase`: rebased onto nothing while it was
   * off; `none`: it had no backing file already.
   */
  method: IndependentMethod;
  /** The backing file it no longer needs (absent for `none`). */
  formerBacking?: string;
}

/** Result of `KvmProvisioner.makeIndependent`. */
export interface MakeIndependentResult {
  node: string;
  disks: IndependentDisk[];
  durationMs: number;
}

/** `makeIndependent`'s own options, validated. */
export interface IndependentSettings {
  timeoutMs: number;
  bandwidthMiBps?: number;
}

/** Validates `makeIndependent`'s own options (the node is checked by the provisioner). */
export function checkIndependentOptions(options: Pick<MakeIndependentOptions, 'timeoutMs' | 'bandwidthMiBps'>): IndependentSettings {
  return {
    timeoutMs: options.timeoutMs === undefined ? DEFAULT_INDEPENDENT_TIMEOUT_MS : checkPositiveInteger('timeoutMs', options.timeoutMs),
    ...(options.bandwidthMiBps === undefined ? {} : { bandwidthMiBps: checkPositiveInteger('bandwidthMiBps', options.bandwidthMiBps, 1_000_000) }),
  };
}

/**
 * The KVM provisioner's own load options, `providerOptions.kvm` of `load`:
 * `independent: true` ends the load with disks that do not depend on the library image (a
 * linked load whose block pull runs while the guest boots); `independentTimeoutMs` and
 * `independentBandwidthMiBps` are `makeIndependent`'s `timeoutMs` and `bandwidthMiBps`.
 */
export interface KvmLoadOptions {
  independent?: boolean;
  independentTimeoutMs?: number;
  independentBandwidthMiBps?: number;
}

/** `providerOptions.kvm` of a load, validated; `undefined` when the load is not to end independent. */
export function checkKvmLoadOptions(providerOptions: Record<string, Record<string, unknown>> | undefined): IndependentSettings | undefined {
  const given = providerOptions?.['kvm'];
  if (given === undefined) return undefined;
  const kvm = checkObject<KvmLoadOptions>('providerOptions.kvm', given);
  const known = new Set(['independent', 'independentTimeoutMs', 'independentBandwidthMiBps']);
  const unknown = Object.keys(kvm).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new InvalidInputError(`providerOptions.kvm.${unknown[0]}`, `is not an option of the KVM provisioner's load (known: ${[...known].join(', ')})`);
  if (kvm.independent !== undefined && typeof kvm.independent !== 'boolean') throw new InvalidInputError('providerOptions.kvm.independent', 'must be true or false');
  const settings = {
    timeoutMs: kvm.independentTimeoutMs === undefined ? DEFAULT_INDEPENDENT_TIMEOUT_MS : checkPositiveInteger('providerOptions.kvm.independentTimeoutMs', kvm.independentTimeoutMs),
    ...(kvm.independentBandwidthMiBps === undefined ? {} : { bandwidthMiBps: checkPositiveInteger('providerOptions.kvm.independentBandwidthMiBps', kvm.independentBandwidthMiBps, 1_000_000) }),
  };
  return kvm.independent ? settings : undefined;
}
