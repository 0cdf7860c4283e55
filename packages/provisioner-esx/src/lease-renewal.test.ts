import { InvalidStateError } from '@provkit/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renewWhileRunning } from './lease-renewal.ts';
import { faultToError, isBusyFault } from './translation/faults.ts';

/** The typed error a ReconfigVM_Task on a VM busy with another task gives (as faultToError maps the fault). */
const busy = (type = 'TaskInProgress') => faultToError({ type, message: 'Another task is already in progress.', detail: {} }, { method: 'ReconfigVM_Task', node: 'web-1' });

describe('lease renewal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads TaskInProgress and ConcurrentAccess (typed or raw) as a busy VM, and nothing else', () => {
    expect(busy()).toBeInstanceOf(InvalidStateError);
    expect(isBusyFault(busy())).toBe(true);
    expect(isBusyFault(busy('ConcurrentAccess'))).toBe(true);
    expect(isBusyFault(busy('VAppTaskInProgress'))).toBe(true);
    expect(isBusyFault((busy() as InvalidStateError).cause)).toBe(true);
    expect(isBusyFault(busy('InvalidPowerState'))).toBe(false);
    expect(isBusyFault(busy('SystemError'))).toBe(false);
    expect(isBusyFault(new Error('TaskInProgress'))).toBe(false);
  });

  it('a renewal that meets a busy VM is retried after 0.5 s, 1 s… within the lease, without a warning', async () => {
    const attempts: number[] = [];
    const onFailure = vi.fn();
    let failures = 2;
    const stop = renewWhileRunning({
      leaseMs: 30_000,
      renew: async () => {
        attempts.push(Date.now());
        if (failures-- > 0) throw busy();
      },
      isBusy: isBusyFault,
      onFailure,
    });
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(10_000 + 500 + 1000);
    expect(attempts.map((at) => at - start)).toEqual([10_000, 10_500, 11_500]);
    // Renewed at 11.5 s: the next regular renewal is a third of the lease after it.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts.map((at) => at - start)).toEqual([10_000, 10_500, 11_500, 21_500]);
    expect(onFailure).not.toHaveBeenCalled();
    stop();
  });

  it('a VM busy until the lease would run out: one warning that the lease lapsed, then the regular renewals go on', async () => {
    const onFailure = vi.fn();
    let calls = 0;
    const stop = renewWhileRunning({
      leaseMs: 3000,
      renew: async () => {
        calls++;
        throw busy();
      },
      isBusy: isBusyFault,
      onFailure,
    });
    // Attempts at 1 s, 1.5 s, 2.5 s; a retry 2 s later would be past the lease's end at 3 s.
    await vi.advanceTimersByTimeAsync(2500);
    expect(calls).toBe(3);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(onFailure).toHaveBeenCalledWith(expect.any(InvalidStateError), { lapsed: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(4);
    stop();
  });

  it('another failure is reported at once and retried at the next regular renewal; nothing runs after stop', async () => {
    const onFailure = vi.fn();
    const attempts: number[] = [];
    const stop = renewWhileRunning({
      leaseMs: 3000,
      renew: async () => {
        attempts.push(Date.now());
        throw new Error('connection reset');
      },
      isBusy: isBusyFault,
      onFailure,
    });
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(2000);
    expect(attempts.map((at) => at - start)).toEqual([1000, 2000]);
    expect(onFailure).toHaveBeenCalledWith(expect.any(Error), { lapsed: false });
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts).toHaveLength(2);
  });
});
