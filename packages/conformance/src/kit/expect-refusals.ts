import { expect } from 'vitest';
import { recordEvents, type EventSource } from './record-events.ts';
import { expectErrorCode, expectNamesField } from './test-api.ts';

/**
 * Starts `calls` (hostile input to one `operation`) with `emitter`'s events recorded, and
 * asserts each is refused with `INVALID_INPUT` naming its field, and that nothing but
 * warnings was emitted: no command, no progress step. A failure names the call by position.
 */
export async function expectRefusedQuietly(emitter: EventSource, operation: string, calls: () => Array<Promise<unknown>>): Promise<void> {
  const { events, stop } = recordEvents(emitter);
  try {
    // Every call has started; each is awaited in turn, none left to reject unobserved.
    const pending = calls();
    for (const call of pending) call.catch(() => undefined);
    for (const [index, call] of pending.entries()) {
      const error = await expectErrorCode(call, 'INVALID_INPUT').catch((failure: unknown) => {
        throw new Error(`${operation} call #${index + 1}: ${failure instanceof Error ? failure.message : String(failure)}`);
      });
      expectNamesField(error);
    }
  } finally {
    stop();
  }
  expect(events.filter((event) => event.name !== 'warning')).toEqual([]);
}
