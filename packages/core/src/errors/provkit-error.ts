const marker = Symbol.for('provkit.error');

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
  /** A stable UPPER_SNAKE code, e.g. `COMMAND_FAILED`. */
  readonly code: string;
  /** True when repeating the same operation later may succeed. */
  readonly isRetryable: boolean;

  constructor(code: string, message: string, options: ProvkitErrorOptions = {}) {
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
  static reasonCode(error: unknown): string | undefined {
    if (!ProvkitError.isInstance(error)) return undefined;
    return error.code === 'OPERATION_FAILED' && ProvkitError.isInstance(error.cause) ? error.cause.code : error.code;
  }

  /** True when `error` is a provkit error with the given code. */
  static hasCode(error: unknown, code: string): error is ProvkitError {
    return ProvkitError.isInstance(error) && error.code === code;
  }
}
