import { describe, expect, it } from 'vitest';
import { createEmitter, type CommandEvent } from '@provkit/core';
import type { CommandRunner } from './command-runner.ts';
import { CommandEventForwarder } from './command-event-forwarder.ts';

const event = (target: string): CommandEvent => ({ target, command: 'true', exitCode: 0, durationMs: 1 });
const runnerOn = (events: CommandRunner['events'], target: string): CommandRunner => ({ target, events }) as unknown as CommandRunner;

describe('CommandEventForwarder', () => {
  it("forwards only the added targets of a shared emitter, once each, until stopped", () => {
    const pool = createEmitter();
    const module = createEmitter();
    const seen: string[] = [];
    module.on('command', (forwarded) => seen.push(forwarded.target));
    const forwarder = new CommandEventForwarder(module);
    forwarder.add(runnerOn(pool, 'root@a:22'));
    // The same target again, as after SshPool.drop hands out a new runner: still one listener.
    forwarder.add(runnerOn(pool, 'root@a:22'));
    pool.emit('command', event('root@a:22'));
    pool.emit('command', event('root@b:22'));
    expect(seen).toEqual(['root@a:22']);
    expect(pool.listenerCount('command')).toBe(1);
    forwarder.add(runnerOn(module, 'local')); // already the module's emitter: nothing to forward
    forwarder.stop();
    pool.emit('command', event('root@a:22'));
    expect(seen).toEqual(['root@a:22']);
    expect(pool.listenerCount('command')).toBe(0);
  });
});
