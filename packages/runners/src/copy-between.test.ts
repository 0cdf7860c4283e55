import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandRunner, TransferOptions } from './command-runner.ts';
import { canCopyBetween, copyBetween } from './copy-between.ts';
import { LocalRunner } from './local-runner.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'provkit-copy-between-'));
  dirs.push(dir);
  return dir;
}

/** A source runner whose file sends one chunk and then stalls until its transfer is stopped. */
function stallingSource(): CommandRunner & { stopped: Promise<unknown> } {
  let stopped!: (reason: unknown) => void;
  const runner = new LocalRunner();
  return Object.assign(Object.create(runner) as CommandRunner, {
    stopped: new Promise((resolve) => (stopped = resolve)),
    downloadStream: async (_path: string, sink: Writable, options: TransferOptions = {}) => {
      sink.write(Buffer.alloc(1024, 1));
      await new Promise<void>((_resolve, reject) => options.signal!.addEventListener('abort', () => {
        stopped(options.signal!.reason);
        reject(new Error('stopped'));
      }));
    },
  });
}

describe('copyBetween', () => {
  it('copies a file from one runner to another byte for byte, through a stream', async () => {
    const dir = scratch();
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(dir, 'from'), bytes);
    const [source, target] = [new LocalRunner(), new LocalRunner()];
    expect(canCopyBetween(source, target)).toBe(true);
    await copyBetween({ runner: source, path: join(dir, 'from') }, { runner: target, path: join(dir, 'to') });
    expect(readFileSync(join(dir, 'to')).equals(bytes)).toBe(true);
  });

  it('a target that cannot be written fails the copy and stops the source', async () => {
    const dir = scratch();
    const source = stallingSource();
    const failure = await copyBetween({ runner: source, path: '/any' }, { runner: new LocalRunner(), path: join(dir, 'missing-dir', 'to') }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ENOENT' });
    await expect(source.stopped).resolves.toBeDefined();
  });

  it('a missing source fails the copy with its error', async () => {
    const dir = scratch();
    const failure = await copyBetween({ runner: new LocalRunner(), path: join(dir, 'nothing') }, { runner: new LocalRunner(), path: join(dir, 'to') }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ENOENT', path: join(dir, 'nothing') });
  });

  it("the caller's abort stops both sides and is AbortedError", async () => {
    const dir = scratch();
    const source = stallingSource();
    const abort = new AbortController();
    const copy = copyBetween({ runner: source, path: '/any' }, { runner: new LocalRunner(), path: join(dir, 'to') }, { signal: abort.signal });
    abort.abort();
    await expect(copy).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(source.stopped).resolves.toBeDefined();
  });

  it('runners without streams are refused before anything is opened', async () => {
    const dir = scratch();
    const plain = Object.assign(Object.create(new LocalRunner()) as CommandRunner, { downloadStream: undefined });
    expect(canCopyBetween(plain, new LocalRunner())).toBe(false);
    await expect(copyBetween({ runner: plain, path: '/any' }, { runner: new LocalRunner(), path: join(dir, 'to') })).rejects.toMatchObject({ code: 'UNSUPPORTED_FUNCTIONALITY' });
    expect(existsSync(join(dir, 'to'))).toBe(false);
  });
});
