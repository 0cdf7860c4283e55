export { waitFor, type WaitForOptions, type PollResult } from './wait-for.ts';
export { abortableDelay, throwIfAborted, untilAborted } from './abort.ts';
export { isSshNotAnswering, isSshNotUpYet } from './ssh-probes.ts';
