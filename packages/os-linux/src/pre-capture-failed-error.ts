import { OperationFailedError, type EndState, type OperationReport } from '@provkit/core';

/**
 * A generalization operation failed: the run stopped there. Says which operation failed, what
 * the ones before it did and which did not run, and that the end state was not applied to the
 * half-generalized guest. It does not claim the guest's power state: a failure to reach the
 * guest at all (it may be off) looks the same from here, so the caller that drives the
 * hypervisor reads the real state from the host (the KVM provisioner's `CaptureFailedError`).
 */
export class PreCaptureFailedError extends OperationFailedError {
  /** The reports of the operations that completed before the failure. */
  readonly completed: readonly OperationReport[];
  /** The operations that did not run. */
  readonly notRun: readonly string[];
  /** The end state that was asked for and not applied. */
  readonly endState: EndState;
  constructor(failed: string, cause: unknown, completed: readonly OperationReport[], notRun: readonly string[], endState: EndState) {
    super('preCapture', failed, cause);
    this.name = 'PreCaptureFailedError';
    this.completed = completed;
    this.notRun = notRun;
    this.endState = endState;
    const done = completed.length === 0 ? 'none' : completed.map((report) => `${report.name} (${report.changed ? 'changed' : 'unchanged'})`).join(', ');
    this.message += `. Guest state: completed ${done}; ${failed} failed partway; not run: ${notRun.length === 0 ? 'none' : notRun.join(', ')}; end state ${endState} not applied: preCapture changed nothing about the guest's power`;
  }
}
