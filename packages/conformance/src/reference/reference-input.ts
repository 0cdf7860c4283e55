import { InvalidInputError } from '@provkit/core';

/** The operation's signal as an option to pass on, or nothing. */
export function signalOf(options: { signal?: AbortSignal | undefined }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

/** A positive whole number of milliseconds, or the default. */
export function checkTimeout(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(field, `${JSON.stringify(value)} is not a positive number of milliseconds`);
  return value;
}

/** Checks `value` is one of `allowed`. */
export function checkChoice<T extends string>(field: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new InvalidInputError(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value;
}
