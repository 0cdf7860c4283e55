/** Event names mapped to their listener signatures, e.g. `{ progress: (event: ProgressEvent) => void }`. */
export type EventListeners = { [event: string]: (...args: never[]) => void };

/**
 * The typed face of Node's `EventEmitter`: listeners and `emit` arguments are checked against
 * `Events`. Types only: at run time it is a plain `EventEmitter` (see `createEmitter`), so
 * the package needs no emitter library.
 */
export interface TypedEmitter<Events extends EventListeners> {
  /** Adds a listener for `event`. */
  on<Event extends keyof Events & string>(event: Event, listener: Events[Event]): this;
  /** Adds a listener for `event` (alias of `on`). */
  addListener<Event extends keyof Events & string>(event: Event, listener: Events[Event]): this;
  /** Adds a listener called at most once. */
  once<Event extends keyof Events & string>(event: Event, listener: Events[Event]): this;
  /** Adds a listener before the ones already there. */
  prependListener<Event extends keyof Events & string>(event: Event, listener: Events[Event]): this;
  /** Removes a listener. */
  off<Event extends keyof Events & string>(event: Event, listener: Events[Event]): this;
  /** Removes a listener (alias of `off`). */
  removeListener<Event extends keyof Events & string>(event: Event, listener: Events[Event]): this;
  /** Removes every listener, of `event` or of all events. */
  removeAllListeners(event?: keyof Events & string): this;
  /** Calls the listeners of `event` with `args`; true when there was at least one. */
  emit<Event extends keyof Events & string>(event: Event, ...args: Parameters<Events[Event]>): boolean;
  /** How many listeners `event` has. */
  listenerCount(event: keyof Events & string): number;
  /** The listeners of `event`. */
  listeners<Event extends keyof Events & string>(event: Event): Events[Event][];
  /** The events that have listeners. */
  eventNames(): (keyof Events & string)[];
  /** The listener count above which Node warns of a possible leak. */
  getMaxListeners(): number;
  /** Sets that count (0: no limit). */
  setMaxListeners(count: number): this;
}
