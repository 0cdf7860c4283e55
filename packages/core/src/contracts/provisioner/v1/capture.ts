import type { ProgressEvent } from '../../../events/index.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import type { OsModuleV1 } from '../../os-module/v1/os-module-v1.ts';
import type { EndState } from '../../os-module/v1/pre-capture.ts';

/** Options of `capture`. */
export interface CaptureOptions extends NodeOperationOptions {
  /** The new image's name `<name>-v<revision>`; an existing name is refused. */
  image: string;
  /** State of the node after capture (default `off`). */
  endState?: EndState;
  /**
   * Capture without generalizing: skip the OS module's `preCapture` (the node is already
   * generalized, or the caller explicitly wants an ungeneralized copy). Without it, a capture
   * that has no OS module or no node address is refused.
   */
  skipPreCapture?: boolean;
  osModule?: OsModuleV1 | undefined;
  /** Bound on the wait for the node to power off (default provisioner-specific). */
  shutdownTimeoutMs?: number;
  /** Receives every progress event of this capture, the OS module's `preCapture` sub-steps included. */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  providerOptions?: Record<string, Record<string, unknown>>;
}

/**
 * Progress steps of `capture`, in order. `powered-on` is reached only for end states `on`
 * and `reboot`; `capture-failed` only on failure. `pre-capture-done` is also reached, with a
 * detail saying so, when a retried capture finds the node already generalized for capture and
 * untouched since, and skips generalizing it again.
 */
export const CAPTURE_STEPS = ['started', 'pre-capture-done', 'powered-off', 'image-stored', 'powered-on', 'capture-done', 'capture-failed'] as const;

/** One step of `capture`. */
export type CaptureStep = (typeof CAPTURE_STEPS)[number];

/** Progress steps of `unload`, in order; `unload-done` only when something was removed. */
export const UNLOAD_STEPS = ['started', 'powered-off', 'node-removed', 'unload-done'] as const;

/** One step of `unload`. */
export type UnloadStep = (typeof UNLOAD_STEPS)[number];

/** Result of `capture`. */
export interface CaptureResult {
  image: string;
  /** Bytes the new image takes in the library. */
  sizeBytes: number;
  virtualBytes: number;
  durationMs: number;
}
