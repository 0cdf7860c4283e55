import { OperationFailedError, type EndState, type OperationReport } from '@provkit/core';

/**
 * A generalization operation failed: the run stopped there. Says which operation failed, what
 * the ones before it did and which did not run, and that the guest was left on (the end state
 * is not applied to a half-generalized guest).
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
    this.message += `. Guest state: completed ${done}; ${failed} failed partway; not run: ${notRun.length === 0 ? 'none' : notRun.join(', ')}; the guest is left powered on (end state ${endState} not applied)`;
  }
}
