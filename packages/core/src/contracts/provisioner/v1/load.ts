import type { ProgressEvent } from '../../../events/index.ts';
import type { Customization } from '../../shared/v1/customization.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import type { SizeSpec } from '../../shared/v1/size.ts';
import type { OsModuleV1 } from '../../os-module/v1/os-module-v1.ts';

/**
 * Progress steps of `load`, in order (VCL's load log), in provider-neutral words.
 * `node-replaced` is reached only when an existing managed node was removed first;
 * `load-failed` only on failure, after the clean-up.
 */
export const LOAD_STEPS = ['started', 'node-replaced', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done', 'load-failed'] as const;

/** One step of `load`. */
export type LoadStep = (typeof LOAD_STEPS)[number];

/** Options of `load`. */
export interface LoadOptions extends NodeOperationOptions {
  /** The library image `<name>-v<revision>` to put on the node. */
  image: string;
  /**
   * What to do when a node of that name already exists and provkit manages it: `replace`
   * (default, as VCL's load) or `refuse` with `NodeExistsError`. A node provkit did not
   * create is refused with `NodeNotManagedError` either way.
   */
  ifExists?: 'replace' | 'refuse';
  /** Hardware; defaults are the provisioner's. */
  size?: SizeSpec;
  /** `linked` (default): overlay / linked clone; `full`: an independent copy. */
  diskMode?: 'linked' | 'full';
  /** Per-node changes, applied by the OS module during post-load. */
  customization?: Customization | undefined;
  /** The OS module for waiting and post-load; default: the provisioner's own. */
  osModule?: OsModuleV1 | undefined;
  /** Bound on the wait for the guest to answer SSH (default provisioner-specific). */
  bootTimeoutMs?: number;
  /** Receives every progress event of this load, the OS module's `postLoad` sub-steps included. */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Provider-specific options, keyed by provider name: `{ kvm: { ... } }`. */
  providerOptions?: Record<string, Record<string, unknown>>;
}

/** Result of `load`. */
export interface LoadResult {
  node: string;
  image: string;
  /** Where the node's SSH answered. */
  address?: { host: string; port: number };
  durationMs: number;
}
