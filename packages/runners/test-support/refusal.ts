import { InvalidInputError } from '@provkit/core';
import { expect } from 'vitest';

/** What `call` throws, or `undefined` when it returns: for tests that assert on a synchronous refusal. */
export function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The `InvalidInputError` that `call` throws; the test fails when it throws anything else or nothing. */
export function refusal(call: () => unknown): InvalidInputError {
  const error = thrownBy(call);
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}
