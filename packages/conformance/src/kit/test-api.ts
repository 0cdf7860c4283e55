import { expect, type describe as vitestDescribe, type it as vitestIt } from 'vitest';
import { ProvkitError } from '@provkit/core';

/** The test functions a suite registers its tests with (pass vitest's own). */
export interface TestApi {
  describe: typeof vitestDescribe;
  it: typeof vitestIt;
}

/** Makes a fresh module with `create`, runs `body` with it, and closes it afterwards. */
export async function withFresh<Module extends { close(): Promise<void> }, T>(create: () => Promise<Module> | Module, body: (module: Module) => Promise<T>): Promise<T> {
  const module = await create();
  try {
    return await body(module);
  } finally {
    await module.close();
  }
}

/**
 * The provkit error code a failure carries (core's `ProvkitError.reasonCode`: for an
 * `OperationFailedError`, the code of what made the step fail). Checked by code, not
 * `instanceof`, so it holds across duplicated copies of `@provkit/core`.
 */
export function errorCode(error: unknown): string | undefined {
  return ProvkitError.reasonCode(error);
}

/** Asserts that `promise` rejects with a provkit error of `code` (see {@link errorCode}) and returns the error. */
export async function expectErrorCode(promise: Promise<unknown>, code: string): Promise<ProvkitError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ProvkitError.isInstance(error), `expected a provkit error ${code}, got ${String(error)}`).toBe(true);
  expect(errorCode(error), String(error)).toBe(code);
  return error as ProvkitError;
}
