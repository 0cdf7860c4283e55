import { expect, type TestContext, type describe as vitestDescribe, type it as vitestIt } from 'vitest';
import { ProvkitError } from '@provkit/core';

/** The test functions a suite registers its tests with (pass vitest's own). */
export interface TestApi {
  describe: typeof vitestDescribe;
  it: typeof vitestIt;
}

/** Collects every event a module emits during a test, to check what it says and what it never says. */
export function recordEvents(emitter: { on(event: string, listener: (payload: unknown) => void): unknown; off(event: string, listener: (payload: unknown) => void): unknown }): {
  events: Array<{ name: string; payload: unknown }>;
  stop: () => void;
} {
  const events: Array<{ name: string; payload: unknown }> = [];
  const listeners = (['progress', 'command', 'warning'] as const).map((name) => {
    const listener = (payload: unknown): void => {
      events.push({ name, payload });
    };
    emitter.on(name, listener);
    return { name, listener };
  });
  return { events, stop: () => listeners.forEach(({ name, listener }) => emitter.off(name, listener)) };
}

/**
 * Wraps a test body so it gets a fresh module from `create` (and the test's context, to skip
 * by a declared capability) and the module is closed afterwards.
 */
export function withFresh<Module extends { close(): Promise<void> }>(create: () => Promise<Module> | Module, body: (module: Module, context: TestContext) => Promise<void>): (context: TestContext) => Promise<void> {
  return async (context) => {
    const module = await create();
    try {
      await body(module, context);
    } finally {
      await module.close();
    }
  };
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
