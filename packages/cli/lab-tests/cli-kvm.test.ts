/**
 * The `provkit` command against the lab's real KVM host (libvirtd + QEMU TCG reached through
 * the lab sshd) and its real guest, configured by a file as a user would: images, load with
 * live progress, status, capture (the Linux module generalizes), load of the capture, the
 * exit codes scripts rely on, and unload leaving no domain behind; power, the current image,
 * the guest through the OS module (wait, currentimage.txt, reboot, shutdown), and an image
 * retrieved into a second library, measured, found and deleted there.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, prepareKvmRun, writeKvmProvkitConfig, type KvmRun } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/index.ts';
import { runCli, type CliRun } from '../test-support/run-cli.ts';

let run: KvmRun;
let dir: string;
let config: string;
let first: string;
let second: string;
let third: string;

/** Runs the CLI with the run's configuration file. */
function provkit(...argv: string[]): Promise<CliRun> {
  return runCli([...argv, '--config', config]);
}

/** The progress steps a `--json` run printed on stderr, as `operation:step`. */
function steps(ran: CliRun): string[] {
  return ran.stderr
    .split('\n')
    .filter((line) => line.startsWith('{"progress"'))
    .map((line) => JSON.parse(line) as { progress: { operation: string; step: string } })
    .map(({ progress }) => `${progress.operation}:${progress.step}`);
}

function domains(): string[] {
  return execFileSync('virsh', ['-c', run.libvirt.uri, 'list', '--all', '--name'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => name.startsWith(run.prefix));
}

beforeAll(async () => {
  run = await prepareKvmRun('cli');
  dir = await mkdtemp(join(tmpdir(), 'provkit-cli-lab-'));
  first = `${run.prefix}-a`;
  second = `${run.prefix}-b`;
  third = `${run.prefix}-e`;
  config = await writeKvmProvkitConfig(run, dir, { [first]: await freeLoopbackPort(), [second]: await freeLoopbackPort(), [third]: await freeLoopbackPort() });
});

afterAll(async () => {
  // Unload is idempotent: this removes whatever a failed test left.
  for (const node of [first, second, third]) if (node) await provkit('unload', node);
  await run?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('provkit CLI on the lab KVM host', () => {
  it('lists the library, loads with live progress, reports ready, captures, loads the capture and unloads', async () => {
    const images = await provkit('images', '--json');
    expect(images.code).toBe(EXIT.ok);
    expect((JSON.parse(images.stdout) as { images: Array<{ name: string }> }).images.map((image) => image.name)).toEqual([run.image]);

    const load = await provkit('load', first, run.image, '--json');
    expect(load.code, load.stderr).toBe(EXIT.ok);
    expect(JSON.parse(load.stdout)).toMatchObject({ node: first, image: run.image });
    // Progress from the provisioner and from the OS module's post-load, in order.
    const loadSteps = steps(load);
    expect(loadSteps).toEqual(expect.arrayContaining(['load:disk-prepared', 'load:node-defined', 'load:powered-on', 'load:machine-booted', 'postLoad:host-keys', 'load:post-load-done', 'load:load-done']));
    expect(loadSteps.indexOf('load:powered-on')).toBeLessThan(loadSteps.indexOf('load:machine-booted'));

    const ready = await provkit('status', first, '--image', run.image);
    expect(ready.code, ready.stdout + ready.stderr).toBe(EXIT.ok);
    expect(ready.stdout).toContain(`${first}: ready`);
    const wrongImage = await provkit('status', first, '--image', 'other-v1');
    expect(wrongImage.code).toBe(EXIT.notReady);

    const capture = await provkit('capture', first, 'clicapture-v1', '--json');
    expect(capture.code, capture.stderr).toBe(EXIT.ok);
    expect(JSON.parse(capture.stdout)).toMatchObject({ image: 'clicapture-v1', sizeBytes: expect.any(Number) });
    expect(steps(capture)).toEqual(expect.arrayContaining(['preCapture:generalizing', 'preCapture:generalized', 'capture:image-stored', 'capture:capture-done']));
    const again = await provkit('capture', first, 'clicapture-v1');
    expect(again.code).toBe(EXIT.exists);
    expect(again.stderr).toContain('[IMAGE_EXISTS]');

    const reload = await provkit('load', second, 'clicapture-v1');
    expect(reload.code, reload.stderr).toBe(EXIT.ok);
    expect(reload.stdout).toContain(`loaded clicapture-v1 on ${second}`);
    // Human progress lines on stderr, one per step.
    expect(reload.stderr).toMatch(/\] load \S+: machine-booted/);
    expect((await provkit('status', second, '--image', 'clicapture-v1')).code).toBe(EXIT.ok);

    const listed = JSON.parse((await provkit('images', '--json')).stdout) as { images: Array<{ name: string }> };
    expect(listed.images.map((image) => image.name).sort()).toEqual(['clicapture-v1', run.image].sort());

    for (const node of [first, second]) expect((await provkit('unload', node)).code).toBe(EXIT.ok);
    expect((await provkit('unload', first)).code).toBe(EXIT.ok);
    expect(domains()).toEqual([]);
  });

  it('answers a missing image with exit 4 and bad flags with exit 2, creating nothing', async () => {
    const missing = await provkit('load', `${run.prefix}-c`, 'missing-v9', '--address', `127.0.0.1:${await freeLoopbackPort()}`, '--json');
    expect(missing.code).toBe(EXIT.notFound);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'IMAGE_NOT_FOUND' } });
    const unaddressed = await provkit('load', `${run.prefix}-d`, run.image, '--json');
    expect(unaddressed.code).toBe(EXIT.usage);
    expect(JSON.parse(unaddressed.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('node.address') } });
    const bogus = await provkit('images', '--bogus', '--json');
    expect(bogus.code).toBe(EXIT.usage);
    expect(JSON.parse(bogus.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('--bogus') } });
    expect(domains()).toEqual([]);
  });

  it('drives power, the current image and the guest by command, each answering --json', async () => {
    const load = await provkit('load', third, run.image, '--memory', '192MiB', '--json');
    expect(load.code, load.stderr).toBe(EXIT.ok);
    expect(JSON.parse((await provkit('current-image', third, '--json')).stdout)).toEqual({ node: third, image: run.image });
    expect(JSON.parse((await provkit('power', 'status', third, '--json')).stdout)).toEqual({ node: third, power: 'on' });

    const waited = await provkit('os', 'wait', third, '--timeout', '60000', '--json');
    expect(waited.code, waited.stdout).toBe(EXIT.ok);
    const read = await provkit('os', 'read-image', third, '--json');
    expect(read.code, read.stdout).toBe(EXIT.ok);
    expect(JSON.parse(read.stdout)).toMatchObject({ currentImage: { image: run.image, postLoadDone: true } });
    const rebooted = await provkit('os', 'reboot', third, '--timeout', '180000', '--json');
    expect(rebooted.code, rebooted.stdout).toBe(EXIT.ok);

    const off = await provkit('power', 'off', third, '--mode', 'hard', '--json');
    expect(off.code, off.stdout).toBe(EXIT.ok);
    expect(JSON.parse(off.stdout)).toEqual({ node: third, action: 'off', power: 'off' });
    expect(JSON.parse((await provkit('power', 'on', third, '--json')).stdout)).toEqual({ node: third, action: 'on', power: 'on' });
    expect((await provkit('os', 'wait', third, '--timeout', '180000')).code).toBe(EXIT.ok);
    const reset = await provkit('power', 'reset', third, '--json');
    expect(reset.code, reset.stdout).toBe(EXIT.ok);
    expect((await provkit('os', 'wait', third, '--timeout', '180000')).code).toBe(EXIT.ok);
    const shutdown = await provkit('os', 'shutdown', third, '--timeout', '120000', '--json');
    expect(shutdown.code, shutdown.stdout).toBe(EXIT.ok);
    expect((await provkit('unload', third)).code).toBe(EXIT.ok);
    expect((await provkit('current-image', third)).code).toBe(EXIT.notFound);
  });

  it('retrieves an image into a second library, then measures, finds and deletes it there', async () => {
    const other = join(dir, 'other.yaml');
    const file = JSON.parse(await readFile(config, 'utf8')) as { provisioner: Record<string, unknown> };
    const secondLibrary = join(run.runDir, 'library2');
    await mkdir(secondLibrary, { recursive: true });
    await writeFile(other, `${JSON.stringify({ ...file, provisioner: { ...file.provisioner, libraryDir: secondLibrary } }, null, 2)}\n`);
    const inOther = (...argv: string[]): Promise<CliRun> => runCli([...argv, '--config', other]);

    expect((await inOther('image', 'exists', run.image)).code).toBe(EXIT.notFound);
    const retrieved = await inOther('image', 'retrieve', run.image, '--from-config', config, '--json');
    expect(retrieved.code, retrieved.stdout).toBe(EXIT.ok);
    expect(JSON.parse(retrieved.stdout)).toEqual({ image: run.image, retrieved: true, from: config });
    expect(JSON.parse((await inOther('image', 'exists', run.image, '--json')).stdout)).toEqual({ image: run.image, exists: true });
    const sizes = JSON.parse((await inOther('image', 'size', run.image, '--json')).stdout) as { virtualBytes: number; allocatedBytes: number };
    const original = JSON.parse((await provkit('image', 'size', run.image, '--json')).stdout) as { virtualBytes: number };
    expect(sizes.virtualBytes).toBe(original.virtualBytes);
    expect(sizes.allocatedBytes).toBeGreaterThan(0);

    const deleted = await inOther('image', 'delete', run.image, '--json');
    expect(deleted.code, deleted.stdout).toBe(EXIT.ok);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ image: run.image });
    expect((await inOther('image', 'exists', run.image)).code).toBe(EXIT.notFound);
    // The first library still has it.
    expect((await provkit('image', 'exists', run.image)).code).toBe(EXIT.ok);
  });
});
