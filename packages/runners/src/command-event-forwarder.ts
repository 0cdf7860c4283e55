import type { CommandEvent, ProvkitEmitter } from '@provkit/core';
import type { CommandRunner } from './command-runner.ts';

/**
 * Re-emits the `command` events of the runners a module uses on the module's own emitter.
 * A pooled runner's emitter is the pool's, shared by every host on it, so only the targets
 * added here are forwarded, with one listener per source emitter: a runner replaced for the
 * same target (after `SshPool.drop`) is not forwarded twice.
 */
export class CommandEventForwarder {
  readonly #to: ProvkitEmitter;
  readonly #sources = new Map<ProvkitEmitter, { targets: Set<string>; stop: () => void }>();

  constructor(to: ProvkitEmitter) {
    this.#to = to;
  }

  /** Forwards `runner`'s command events from now on (nothing to do for a runner emitting on `to` already). */
  add(runner: CommandRunner): void {
    if (runner.events === this.#to) return;
    let source = this.#sources.get(runner.events);
    if (!source) {
      const targets = new Set<string>();
      const forward = (event: CommandEvent): void => {
        if (targets.has(event.target)) this.#to.emit('command', event);
      };
      runner.events.on('command', forward);
      source = { targets, stop: () => runner.events.off('command', forward) };
      this.#sources.set(runner.events, source);
    }
    source.targets.add(runner.target);
  }

  /** Stops forwarding everything (at the module's `close()`). */
  stop(): void {
    for (const source of this.#sources.values()) source.stop();
    this.#sources.clear();
  }
}
