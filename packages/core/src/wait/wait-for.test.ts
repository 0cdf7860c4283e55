import { describe, expect, it } from 'vitest';
import { AbortedError, CommandFailedError, ConnectionError, TimeoutError } from '../errors/index.ts';
import { waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('polls at once, then with backoff, until done', async () => {
    const attempts: number[] = [];
    const value = await waitFor({
      what: 'the third poll',
      timeoutMs: 5000,
      initialDelayMs: 1,
      poll: async ({ attempt }) => {
        attempts.push(attempt);
        return attempt === 3 ? { done: true, value: 'ok' } : { done: false, state: `attempt ${attempt}` };
      },
    });
    expect(value).toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('times out naming what was awaited and the last state seen', async () => {
    const error = await waitFor({ what: 'SSH on node n1', timeoutMs: 50, initialDelayMs: 5, poll: async () => ({ done: false, state: 'port closed' }) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ awaited: 'SSH on node n1', lastState: 'port closed', timeoutMs: 50 });
  });

  it('treats retryable errors as "not yet" and rethrows the others at once', async () => {
    let calls = 0;
    const value = await waitFor({
      what: 'a flaky host',
      timeoutMs: 5000,
      initialDelayMs: 1,
      poll: async () => {
        calls++;
        if (calls < 3) throw new ConnectionError('h', 'refused');
        return { done: true, value: calls };
      },
    });
    expect(value).toBe(3);
    const fatal = new CommandFailedError({ command: 'x', target: 'local', exitCode: 2, stderrTail: '' });
    await expect(waitFor({ what: 'x', timeoutMs: 5000, poll: async () => Promise.reject(fatal) })).rejects.toBe(fatal);
  });

  it('stops when the signal aborts, also between polls', async () => {
    const controller = new AbortController();
    const waiting = waitFor({
      what: 'forever',
      timeoutMs: 60_000,
      initialDelayMs: 10_000,
      signal: controller.signal,
      poll: async () => {
        queueMicrotask(() => controller.abort());
        return { done: false, state: 'waiting' };
      },
    });
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
  });

  it('ends by its deadline even when a poll ignores its signal, naming the last state seen', async () => {
    const started = Date.now();
    const error = await waitFor({
      what: 'a stuck probe',
      timeoutMs: 200,
      initialDelayMs: 1,
      // The first poll answers, the second never settles and never looks at its signal.
      poll: async ({ attempt }) => (attempt === 1 ? { done: false, state: 'probe 1 said no' } : new Promise<never>(() => {})),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ awaited: 'a stuck probe', lastState: 'probe 1 said no', timeoutMs: 200 });
    // Bounded by the deadline, not by the poll: generous slack for a loaded machine, far below "never".
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out on a first poll that never settles, saying no poll answered', async () => {
    const error = await waitFor({ what: 'a silent host', timeoutMs: 50, poll: () => new Promise<never>(() => {}) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ awaited: 'a silent host', lastState: 'no poll had answered' });
  });

  it('stops on abort while a poll that ignores its signal is running', async () => {
    const controller = new AbortController();
    let polled!: () => void;
    const polling = new Promise<void>((resolve) => (polled = resolve));
    const waiting = waitFor({
      what: 'forever',
      timeoutMs: 600_000,
      signal: controller.signal,
      poll: () => {
        polled();
        return new Promise<never>(() => {});
      },
    });
    await polling;
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
  });

  it('refuses to start when the signal has already fired, without polling', async () => {
    let polls = 0;
    const poll = async () => {
      polls++;
      return { done: true as const, value: 1 };
    };
    await expect(waitFor({ what: 'x', timeoutMs: 1000, signal: AbortSignal.abort(), poll })).rejects.toBeInstanceOf(AbortedError);
    expect(polls).toBe(0);
  });
});
