import { Semaphore } from './semaphore.ts';

/**
 * Serializes work per key (a node name, an image name) while different keys run in
 * parallel. Keys without waiters are forgotten, so the map does not grow.
 */
export class KeyedMutex {
  readonly #locks = new Map<string, { semaphore: Semaphore; users: number }>();

  /** Runs `task` once no other task holds `key`. */
  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let lock = this.#locks.get(key);
    if (!lock) {
      lock = { semaphore: new Semaphore(1), users: 0 };
      this.#locks.set(key, lock);
    }
    lock.users++;
    try {
      return await lock.semaphore.run(task, signal);
    } finally {
      if (--lock.users === 0) this.#locks.delete(key);
    }
  }

  /** Runs `task` holding every key (sorted, so two callers never deadlock). */
  async runAll<T>(keys: readonly string[], task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const step = (index: number): Promise<T> => (index === sorted.length ? task() : this.run(sorted[index]!, () => step(index + 1), signal));
    return step(0);
  }

  /** True while some task holds or waits for `key`. */
  isLocked(key: string): boolean {
    return this.#locks.has(key);
  }
}
