import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors/index.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { Semaphore } from './semaphore.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('Semaphore and KeyedMutex', () => {
  it('never runs more than the limit at once and serves waiters in order', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => deferred());
    const tasks = gates.map((gate, index) =>
      semaphore.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(index);
        await gate.promise;
        running--;
      }),
    );
    expect(semaphore.waiting).toBe(3);
    for (const gate of gates) gate.resolve();
    await Promise.all(tasks);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('drops an aborted waiter from the queue', async () => {
    const semaphore = new Semaphore(1);
    const gate = deferred();
    const holder = semaphore.run(() => gate.promise);
    const controller = new AbortController();
    const waiter = semaphore.run(async () => 'never', controller.signal);
    controller.abort();
    await expect(waiter).rejects.toBeInstanceOf(AbortedError);
    expect(semaphore.waiting).toBe(0);
    gate.resolve();
    await holder;
  });

  it('serializes one key and lets other keys run in parallel', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const gate = deferred();
    const first = mutex.run('node-a', async () => {
      events.push('a1 start');
      await gate.promise;
      events.push('a1 end');
    });
    const second = mutex.run('node-a', async () => {
      events.push('a2');
    });
    const other = mutex.run('node-b', async () => {
      events.push('b');
    });
    await other;
    expect(events).toEqual(['a1 start', 'b']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(events).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    expect(mutex.isLocked('node-a')).toBe(false);
  });
});
