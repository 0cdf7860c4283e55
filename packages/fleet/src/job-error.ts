import { isProvkitErrorCode, ProvkitError, type ProvkitErrorOptions } from '@provkit/core';

/** A provkit error as a fleet job stores it: plain JSON, no stack, no secret. */
export interface SerializedError {
  /** The error's class name on the worker, e.g. `OperationFailedError`. */
  name: string;
  /** UPPER_SNAKE code (`UNEXPECTED` for an error that was not a provkit error). */
  code: string;
  message: string;
  retryable: boolean;
  /** The failed step of a multi-step operation (`OperationFailedError`). */
  step?: string;
  /** The operation that failed at `step`. */
  operation?: string;
  /** The refused field (`InvalidInputError`). */
  field?: string;
  /** What caused it, one level deep per level, as far as provkit errors go. */
  cause?: SerializedError;
}

const MAX_DEPTH = 4;

/** Turns any thrown value into a {@link SerializedError} (provkit errors keep their facts). */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (ProvkitError.isInstance(error)) {
    const facts = error as ProvkitError & { step?: unknown; operation?: unknown; field?: unknown };
    const serialized: SerializedError = { name: error.name, code: error.code, message: error.message, retryable: error.isRetryable };
    if (typeof facts.step === 'string') serialized.step = facts.step;
    if (typeof facts.operation === 'string') serialized.operation = facts.operation;
    if (typeof facts.field === 'string') serialized.field = facts.field;
    if (error.cause !== undefined && depth < MAX_DEPTH && (ProvkitError.isInstance(error.cause) || error.cause instanceof Error)) serialized.cause = serializeError(error.cause, depth + 1);
    return serialized;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { name: error instanceof Error ? error.name : 'Error', code: 'UNEXPECTED', message, retryable: false };
}

/**
 * A provkit error that happened in a fleet worker, rebuilt on the client: the same `code`,
 * `message`, retryability, failed `step` and `operation`, and its cause rebuilt the same way,
 * so `ProvkitError.hasCode` and `ProvkitError.reasonCode` answer as they would in process.
 */
export class FleetRemoteError extends ProvkitError {
  /** The class name the error had in the worker, e.g. `OperationFailedError`. */
  readonly remoteName: string;
  readonly step: string | undefined;
  readonly operation: string | undefined;
  readonly field: string | undefined;
  /** The id of the job that failed. */
  readonly jobId: string | undefined;
  constructor(serialized: SerializedError, options: ProvkitErrorOptions & { jobId?: string } = {}) {
    // A code this version does not know (a newer worker's) is reported as UNEXPECTED, its message kept.
    super(isProvkitErrorCode(serialized.code) ? serialized.code : 'UNEXPECTED', serialized.message, { isRetryable: serialized.retryable, ...(options.cause !== undefined ? { cause: options.cause } : {}) });
    this.name = 'FleetRemoteError';
    this.remoteName = serialized.name;
    this.step = serialized.step;
    this.operation = serialized.operation;
    this.field = serialized.field;
    this.jobId = options.jobId;
  }
}

/** Rebuilds a {@link SerializedError} (and its causes) as a {@link FleetRemoteError}. */
export function reconstructError(serialized: SerializedError, jobId?: string): FleetRemoteError {
  const cause = serialized.cause ? reconstructError(serialized.cause, jobId) : undefined;
  return new FleetRemoteError(serialized, { ...(cause ? { cause } : {}), ...(jobId !== undefined ? { jobId } : {}) });
}

/** True when `value` has the shape of a {@link SerializedError}. */
export function isSerializedError(value: unknown): value is SerializedError {
  const raw = value as SerializedError;
  return typeof value === 'object' && value !== null && typeof raw.code === 'string' && typeof raw.message === 'string' && typeof raw.name === 'string' && typeof raw.retryable === 'boolean';
}

/**
 * A job ended without a provkit error to show: BullMQ failed it itself (stalled more times than
 * allowed, removed while waiting). `code` is `JOB_LOST`; the message is BullMQ's reason.
 */
export class FleetJobLostError extends ProvkitError {
  readonly jobId: string;
  constructor(jobId: string, reason: string, options?: ProvkitErrorOptions) {
    super('JOB_LOST', `Fleet job ${jobId} ended without a result: ${reason}`, { isRetryable: true, ...options });
    this.name = 'FleetJobLostError';
    this.jobId = jobId;
  }
}
