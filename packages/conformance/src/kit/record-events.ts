import type { ProgressEvent } from '@provkit/core';
import { expect } from 'vitest';

/** Anything with provkit's `on`/`off` event methods. */
export interface EventSource {
  on(event: string, listener: (payload: never) => void): unknown;
  off(event: string, listener: (payload: never) => void): unknown;
}

/** One recorded event. */
export interface RecordedEvent {
  name: 'progress' | 'command' | 'warning';
  payload: unknown;
}

/** Collects every event a module emits during a test, to check what it says and what it never says. */
export function recordEvents(emitter: EventSource): { events: RecordedEvent[]; stop: () => void } {
  const events: RecordedEvent[] = [];
  const listeners = (['progress', 'command', 'warning'] as const).map((name) => {
    const listener = (payload: unknown): void => void events.push({ name, payload });
    emitter.on(name, listener);
    return { name, listener };
  });
  return { events, stop: () => listeners.forEach(({ name, listener }) => emitter.off(name, listener)) };
}

/** The steps of `operation` among recorded progress events or `onProgress` events. */
export function stepsOf(events: ReadonlyArray<RecordedEvent | ProgressEvent>, operation: string): string[] {
  return events
    .map((event) => ('payload' in event ? (event.name === 'progress' ? (event.payload as ProgressEvent) : undefined) : event))
    .filter((event): event is ProgressEvent => event !== undefined && event.operation === operation)
    .map((event) => event.step);
}

/** Asserts `steps` are all named in `allowed` (a contract's step list) and come in its order, each once. */
export function expectStepsInOrder(steps: readonly string[], allowed: readonly string[]): void {
  for (const step of steps) expect(allowed, `step ${step} is not one of ${allowed.join(', ')}`).toContain(step);
  const positions = steps.map((step) => allowed.indexOf(step));
  expect(positions, `steps out of order: ${steps.join(', ')}`).toEqual([...positions].sort((a, b) => a - b));
  expect(new Set(steps).size, `a step repeated: ${steps.join(', ')}`).toBe(steps.length);
}
