export * from './events.ts';
export type { EventListeners, TypedEmitter } from './typed-emitter.ts';
