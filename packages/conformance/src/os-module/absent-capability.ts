import type { OsModuleV1 } from '@provkit/core';
import { expect } from 'vitest';
import { recordEvents } from '../kit/record-events.ts';
import { expectErrorCode } from '../kit/test-api.ts';

/**
 * What an OS module promises for a capability it declares absent: the operation is refused
 * with `UNSUPPORTED_FUNCTIONALITY` before any command or progress step. A check of a
 * capability the module lacks asserts this instead of being skipped.
 */
export async function expectAbsentCapability(module: OsModuleV1, capability: string, call: () => Promise<unknown>): Promise<void> {
  const { events, stop } = recordEvents(module.events);
  try {
    await expectErrorCode(call(), 'UNSUPPORTED_FUNCTIONALITY');
  } finally {
    stop();
  }
  expect(events.filter((event) => event.name !== 'warning'), `capability ${capability} is absent in the ${module.os} OS module: refused before any command or step`).toEqual([]);
}
