import type { ProgressEvent } from '../../../events/index.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';

/** State the node is left in after `preCapture` (VCL's end_state). */
export type EndState = 'on' | 'off' | 'reboot';

/** Options of `preCapture`. */
export interface PreCaptureOptions extends NodeOperationOptions {
  /** Default `off`: the provisioner then copies the disk of a stopped machine. */
  endState?: EndState;
  /** Names of the generalization operations to run; default: the module's default set. */
  operations?: readonly string[];
  /** Bound on the final shutdown / reboot wait. */
  timeoutMs?: number | undefined;
  /** Receives every progress event of this pre-capture (the provisioner passes its capture's). */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** What one generalization operation did. */
export interface OperationReport {
  name: string;
  /** False when there was nothing to do on this guest. */
  changed: boolean;
  /** What was removed or changed, in words (never a secret). */
  detail: string;
}

/**
 * What one generalization operation did to the guest's files, for an administrator auditing
 * an image: paths (or, for accounts and processes, their names) grouped by kind of change.
 */
export interface GeneralizationReportEntry {
  /** The operation's name. */
  operation: string;
  /** Files, directories and accounts that are gone. */
  removed: string[];
  /** Files kept with their owner and mode but emptied (truncated, or zeroed as swap is). */
  emptied: string[];
  /** Anything else changed: files edited, created or replaced, processes stopped. */
  changed: string[];
}

/** Result of `preCapture`. */
export interface PreCaptureResult {
  operations: OperationReport[];
  endState: EndState;
  /**
   * Optional (modules written before it may omit it): per operation, what was removed,
   * emptied or changed, in the order the operations ran. Never holds a secret.
   */
  report?: GeneralizationReportEntry[];
}
