import { expect, type describe as vitestDescribe, type it as vitestIt } from 'vitest';
import { ProvkitError, type ProvkitErrorCode } from '@provkit/core';

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
export async function expectErrorCode(promise: Promise<unknown>, code: ProvkitErrorCode): Promise<ProvkitError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ProvkitError.isInstance(error), `expected a provkit error ${code}, got ${String(error)}`).toBe(true);
  expect(errorCode(error), String(error)).toBe(code);
  return error as ProvkitError;
}

/** Asserts an `InvalidInputError` names the refused field and says why (`Invalid <field>: <reason>`). */
export function expectNamesField(error: ProvkitError): void {
  const field = (error as ProvkitError & { field?: unknown }).field;
  expect(typeof field === 'string' && field.length > 0, `${error.message}: no field named`).toBe(true);
  expect(error.message, 'the refusal gives no reason').toMatch(new RegExp(`^Invalid ${String(field).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\S`));
}

/** Asserts every command event is complete: where it ran, what ran, how it ended. */
export function expectCompleteCommands(events: ReadonlyArray<{ name: string; payload: unknown }>): void {
  for (const event of events.filter((entry) => entry.name === 'command')) {
    const command = event.payload as { target?: unknown; command?: unknown; exitCode?: unknown; durationMs?: unknown };
    expect(typeof command.target === 'string' && command.target.length > 0, `command event without a target: ${JSON.stringify(command)}`).toBe(true);
    expect(typeof command.command === 'string' && command.command.length > 0, `command event without a command: ${JSON.stringify(command)}`).toBe(true);
    expect(command.exitCode === null || typeof command.exitCode === 'number').toBe(true);
    expect(typeof command.durationMs === 'number' && command.durationMs >= 0).toBe(true);
  }
}

/** Asserts an error says what it is about: its message does not stop at a colon (`Aborted: ` with nothing after). */
export function expectExplained(error: Error): void {
  expect(error.message.trim(), `an unexplained ${error.name}`).not.toMatch(/:$/);
}
