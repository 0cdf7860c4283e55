import { EventEmitter } from 'node:events';
import type { TypedEmitter } from './typed-emitter.ts';

/** One step of a long operation, as in VCL's load log (`disk-prepared`, `powered-on`, ...). */
export interface ProgressEvent {
  /** The operation, e.g. `load`, `capture`, `unload`, `preCapture`. */
  operation: string;
  /** The step reached, e.g. `node-defined`. */
  step: string;
  /** The node concerned, when there is one. */
  node?: string;
  /** The image concerned, when there is one. */
  image?: string;
  /** Free text with the step's facts (never a secret). */
  detail?: string;
  /** Milliseconds since the operation started. */
  elapsedMs: number;
  at: Date;
}

/** One command run by a command runner. Secrets are already redacted from `command`. */
export interface CommandEvent {
  /** Where it ran: `user@host:port` or `local`. */
  target: string;
  command: string;
  /** Exit code; `null` when the command was killed or never finished. */
  exitCode: number | null;
  durationMs: number;
  /** Set when it ended by timeout, abort or a lost connection. */
  error?: string;
}

/** Something harmless but worth knowing (an ignored setting, a leftover cleaned up). */
export interface WarningEvent {
  message: string;
  operation?: string;
  node?: string;
}

/** The events every provkit module emits. */
export type ProvkitEventMap = {
  progress: (event: ProgressEvent) => void;
  command: (event: CommandEvent) => void;
  warning: (event: WarningEvent) => void;
};

/** A typed event emitter for {@link ProvkitEventMap}. */
export type ProvkitEmitter = TypedEmitter<ProvkitEventMap>;

/** Creates an emitter for provkit events. */
export function createEmitter(): ProvkitEmitter {
  return new EventEmitter() as unknown as ProvkitEmitter;
}

/**
 * Emits progress events for one operation, stamping elapsed time and forwarding each event
 * to an optional per-call `onProgress` callback as well.
 */
export class ProgressReporter {
  readonly #emitter: ProvkitEmitter;
  readonly #base: Pick<ProgressEvent, 'operation' | 'node' | 'image'>;
  readonly #onProgress: ((event: ProgressEvent) => void) | undefined;
  readonly #started = Date.now();

  constructor(emitter: ProvkitEmitter, base: Pick<ProgressEvent, 'operation' | 'node' | 'image'>, onProgress?: (event: ProgressEvent) => void) {
    this.#emitter = emitter;
    this.#base = base;
    this.#onProgress = onProgress;
  }

  /** Reports that `step` was reached. */
  step(step: string, detail?: string): void {
    const event: ProgressEvent = { ...this.#base, step, elapsedMs: Date.now() - this.#started, at: new Date() };
    if (detail !== undefined) event.detail = detail;
    this.#emitter.emit('progress', event);
    this.#onProgress?.(event);
  }
}
