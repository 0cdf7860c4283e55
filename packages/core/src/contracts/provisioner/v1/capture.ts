import type { ProgressEvent } from '../../../events/index.ts';
import type { NodeOperationOptions } from '../../shared/node.ts';
import type { OsModuleV1 } from '../../os-module/v1/os-module-v1.ts';
import type { EndState } from '../../os-module/v1/pre-capture.ts';

/** Options of `capture`. */
export interface CaptureOptions extends NodeOperationOptions {
  /** The new image's name `<name>-v<revision>`; an existing name is refused. */
  image: string;
  /** State of the node after capture (default `off`). */
  endState?: EndState;
  /** Skip the OS module's `preCapture` (the node is already generalized and off). */
  skipPreCapture?: boolean;
  osModule?: OsModuleV1;
  /** Bound on the wait for the node to power off (default provisioner-specific). */
  shutdownTimeoutMs?: number;
  onProgress?: (event: ProgressEvent) => void;
  providerOptions?: Record<string, Record<string, unknown>>;
}

/** Result of `capture`. */
export interface CaptureResult {
  image: string;
  /** Bytes the new image takes in the library. */
  sizeBytes: number;
  virtualBytes: number;
  durationMs: number;
}
