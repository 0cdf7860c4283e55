import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ResourceBusyError, sh } from '@provkit/core';
import { LocalRunner } from '@provkit/runners';
import { afterAll, describe, expect, it } from 'vitest';
import { HostLocks } from './host-lock.ts';

// flock(1), setsid and tail on this machine, through the local runner: the holder then lives as
// long as the process that took the lock (no sshd in between).
const dir = mkdtempSync(join(tmpdir(), 'provkit-host-lock-'));
const locks = new HostLocks(new LocalRunner());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HostLocks', () => {
  it('excludes, shares, bounds the wait with ResourceBusyError, and releases', async () => {
    const path = join(dir, 'state', 'node.lock');
    const held = await locks.acquire(path, { mode: 'exclusive', waitMs: 5000, what: 'node n' });
    expect(await locks.isFree(path)).toBe(false);
    await expect(locks.acquire(path, { mode: 'shared', waitMs: 1000, what: 'node n' })).rejects.toSatisfy((error: unknown) => error instanceof ResourceBusyError && error.resource === 'node n' && error.code === 'RESOURCE_BUSY');
    expect(await held.release()).toBe(true);
    expect(await held.release()).toBe(true); // idempotent
    const a = await locks.acquire(path, { mode: 'shared', waitMs: 1000, what: 'node n' });
    const b = await locks.acquire(path, { mode: 'shared', waitMs: 1000, what: 'node n' });
    await expect(locks.acquire(path, { mode: 'exclusive', waitMs: 1000, what: 'node n' })).rejects.toBeInstanceOf(ResourceBusyError);
    await a.release();
    await b.release();
    expect(await locks.isFree(path)).toBe(true);
  });

  it('stops waiting on abort', async () => {
    const path = join(dir, 'abort.lock');
    const held = await locks.acquire(path, { mode: 'exclusive', waitMs: 5000, what: 'image i' });
    const controller = new AbortController();
    const waiting = locks.acquire(path, { mode: 'exclusive', waitMs: 60_000, what: 'image i', signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    await held.release();
    expect(await locks.isFree(path)).toBe(true);
  });

  it('is let go by the kernel when the process holding it is killed', async () => {
    const path = join(dir, 'killed.lock');
    const script = `import { HostLocks } from ${JSON.stringify(join(import.meta.dirname, 'host-lock.ts'))}; import { LocalRunner } from '@provkit/runners';
      const lock = await new HostLocks(new LocalRunner()).acquire(${JSON.stringify(path)}, { mode: 'exclusive', waitMs: 5000, what: 'node k' });
      console.log('held', lock.holderPid); setInterval(() => {}, 60_000);`;
    const child = spawn(process.execPath, ['--conditions=provkit-source', '--input-type=module', '-e', script], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await new Promise<string[]>((resolve) => createInterface({ input: child.stdout! }).once('line', (text) => resolve([text])));
    expect(line).toMatch(/^held \d+$/);
    expect(await locks.isFree(path)).toBe(false);
    child.kill('SIGKILL');
    // A bounded wait on the lock itself: it is free once the dead process's holder has gone.
    const after = await locks.acquire(path, { mode: 'exclusive', waitMs: 10_000, what: 'node k' });
    expect(await after.release()).toBe(true);
  });

  it('releaseAfter runs a command under the lock and lets go in the same command; a failed one keeps the lock', async () => {
    const path = join(dir, 'after.lock');
    const record = join(dir, 'after.record');
    writeFileSync(record, 'x');
    const lock = await locks.acquire(path, { mode: 'exclusive', waitMs: 5000, what: 'node a' });
    const failed = await lock.releaseAfter(sh`echo nope >&2; false`);
    expect(failed).toEqual({ ran: false, held: true, stderr: 'nope\n' });
    expect(await locks.isFree(path)).toBe(false);
    expect(await lock.releaseAfter(sh`rm -f -- ${record}`)).toEqual({ ran: true, held: true, stderr: '' });
    expect(existsSync(record)).toBe(false);
    expect(await locks.isFree(path)).toBe(true);
    // Already let go of: release() says so without another command.
    expect(await lock.release()).toBe(true);
  });

  it('commandLock makes the lock part of one command: busy is recognised, and the lock is free once the command ended', async () => {
    const runner = new LocalRunner();
    const path = join(dir, 'cmd', 'image.lock');
    const held = await locks.acquire(path, { mode: 'exclusive', waitMs: 5000, what: 'image c' });
    const busy = await runner.run(sh`${locks.commandLock(path, { mode: 'shared', waitMs: 1000 })}echo ran`).catch((error: unknown) => error);
    expect(locks.busyError(busy, 'image c', 1000)).toBeInstanceOf(ResourceBusyError);
    await held.release();
    // Another command failing with the same exit status is not a busy lock.
    expect(locks.busyError(await runner.run(sh`exit 75`).catch((error: unknown) => error), 'image c', 1000)).toBeUndefined();
    // While the command runs it holds the lock shared: an exclusive take is refused, a shared one is not.
    const shared = await runner.run(sh`${locks.commandLock(path, { mode: 'shared', waitMs: 1000 })}flock -n -x ${path} true || echo exclusive-refused; flock -n -s ${path} true && echo shared-granted`);
    expect(shared.stdout).toBe('exclusive-refused\nshared-granted\n');
    expect(await locks.isFree(path)).toBe(true);
  });
});
