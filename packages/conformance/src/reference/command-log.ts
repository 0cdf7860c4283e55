import { throwIfAborted, type ProvkitEmitter } from '@provkit/core';

/**
 * Runs one in-memory "command": refuses once the signal has fired, reports it as a command
 * event (as a real runner would), then yields to other work before the change happens, so
 * concurrent operations interleave as they would on a real host unless a lock orders them.
 */
export async function runCommand<T>(events: ProvkitEmitter, target: string, command: string, signal: AbortSignal | undefined, effect: () => T): Promise<T> {
  throwIfAborted(signal, command);
  events.emit('command', { target, command, exitCode: 0, durationMs: 0 });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return effect();
}
