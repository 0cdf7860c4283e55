import type { ProvkitErrorWithCode } from './error-by-code.ts';

const marker = Symbol.for('provkit.error');

/**
 * Every code a provkit error carries, in one list: callers branch on these (the CLI's exit
 * codes, the fleet's retries, the conformance kit), so a new failure class adds its code here.
 */
export const PROVKIT_ERROR_CODES = [
  'INVALID_INPUT',
  'COMMAND_FAILED',
  'TIMEOUT',
  'ABORTED',
  'IMAGE_NOT_FOUND',
  'IMAGE_EXISTS',
  'IMAGE_IN_USE',
  'NODE_NOT_FOUND',
  'NODE_EXISTS',
  'NODE_NOT_MANAGED',
  'INVALID_STATE',
  'CONFLICT',
  'PERMISSION_DENIED',
  'HOST_KEY_MISMATCH',
  /** A TLS peer (an HTTPS endpoint) presented a certificate that is not trusted, not for its name, or not the pinned one. */
  'TLS_VERIFICATION_FAILED',
  'CONNECTION_FAILED',
  'AUTHENTICATION_FAILED',
  'UNSUPPORTED_FUNCTIONALITY',
  'UNSUPPORTED_SPECIFICATION',
  'OPERATION_FAILED',
  'REMOTE_FAULT',
  'NOT_FOUND',
  'INVALID_ENTRY',
  'INSUFFICIENT_STORAGE',
  'UNEXPECTED_OUTPUT',
  'CHECKSUM_MISMATCH',
  /** A lock on a node or image (held by another operation, possibly in another process) was not free within its bound. */
  'RESOURCE_BUSY',
  /** A host's filesystem ran out of space while provkit wrote to it (a disk, a library image); what the write made was removed. */
  'HOST_STORAGE_FULL',
  /** `@provkit/fleet`: a job ended without a result (BullMQ failed it itself). */
  'JOB_LOST',
  /** `@provkit/fleet`: a worker's failure that was not a provkit error (a bug), carried to the client. */
  'UNEXPECTED',
] as const;

/** The code of a provkit error: one of {@link PROVKIT_ERROR_CODES}. */
export type ProvkitErrorCode = (typeof PROVKIT_ERROR_CODES)[number];

/** True when `code` is one of {@link PROVKIT_ERROR_CODES} (for codes read off the wire). */
export function isProvkitErrorCode(code: unknown): code is ProvkitErrorCode {
  return typeof code === 'string' && (PROVKIT_ERROR_CODES as readonly string[]).includes(code);
}

/** Options every provkit error accepts. */
export interface ProvkitErrorOptions {
  /** The error that caused this one. */
  cause?: unknown;
  /** Overrides the subclass's default retryability. */
  isRetryable?: boolean;
}

/**
 * Base class of every error provkit throws.
 *
 * Check with {@link ProvkitError.isInstance} rather than `instanceof`: the check works across
 * duplicated copies of `@provkit/core` in one dependency tree, because it looks for a
 * `Symbol.for` marker instead of a class identity.
 */
export class ProvkitError extends Error {
  readonly [marker] = true;
  /** A stable UPPER_SNAKE code, e.g. `COMMAND_FAILED`: one of {@link PROVKIT_ERROR_CODES}. */
  readonly code: ProvkitErrorCode;
  /** True when repeating the same operation later may succeed. */
  readonly isRetryable: boolean;

  constructor(code: ProvkitErrorCode, message: string, options: ProvkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProvkitError';
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
  }

  /** True for any provkit error, from any copy of the package. */
  static isInstance(error: unknown): error is ProvkitError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }

  /**
   * The code that says why `error` happened: its own, or for an `OPERATION_FAILED` (a
   * multi-step operation failed at a step) the code of what made the step fail.
   * `undefined` for anything that is not a provkit error.
   */
  static reasonCode(error: unknown): ProvkitErrorCode | undefined {
    if (!ProvkitError.isInstance(error)) return undefined;
    return error.code === 'OPERATION_FAILED' && ProvkitError.isInstance(error.cause) ? error.cause.code : error.code;
  }

  /**
   * True when `error` is a provkit error with the given code, from any copy of the package:
   * check this rather than `instanceof` (errors reach a module from caller-supplied runners
   * and modules built against another copy of core). Narrows `error` to
   * {@link ProvkitErrorWithCode}: the facts of the code's class, each possibly absent.
   */
  static hasCode<C extends ProvkitErrorCode>(error: unknown, code: C): error is ProvkitErrorWithCode<C> {
    return ProvkitError.isInstance(error) && error.code === code;
  }
}
