import type { NodeOperationOptions } from '../../shared/v1/node.ts';

/** Options of `powerOff`. */
export interface PowerOffOptions extends NodeOperationOptions {
  /**
   * `graceful` (default): ask the guest (ACPI / guest tools) and wait up to `timeoutMs`, then
   * force; `hard`: pull the plug at once.
   */
  mode?: 'graceful' | 'hard';
  /** Bound on the graceful wait (default 120 s). */
  timeoutMs?: number | undefined;
}
