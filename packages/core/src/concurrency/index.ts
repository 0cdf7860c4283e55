export { Semaphore } from './semaphore.ts';
export { KeyedMutex } from './keyed-mutex.ts';
export { mapConcurrent } from './map-concurrent.ts';
