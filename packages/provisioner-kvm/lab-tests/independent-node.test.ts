/**
 * Independent nodes on the lab's real libvirtd and guest: a linked node's disk made to stand
 * alone (block pull while it runs, safe rebase while it is off, or at the end of a load), its
 * library image deleted, and the node booted again from its own disk with the guest's data.
 * Each test loads from a private copy of the lab image, so deleting it touches no other test.
 */
import { AbortedError, ImageInUseError, NodeNotFoundError, NodeNotManagedError, OperationFailedError, sh, TimeoutError, type NodeSpec, type ProgressEvent } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDomainXml, type KvmProvisioner } from '../src/index.ts';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

let lab: KvmLab;
let kvm: KvmProvisioner;
const loaded: NodeSpec[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  lab = await startKvmLab();
  kvm = lab.provisioner();
});

afterAll(async () => {
  for (const node of loaded) await kvm?.unload({ node }).catch(() => undefined);
  // The "foreign" domains are this test's own: it removes them with virsh, as their owner would.
  for (const name of foreign) await lab?.host.run(['virsh', '--connect', lab.libvirt.uri, 'undefine', name], { check: false });
  await lab?.close();
});

/** A private copy of the lab image in the library, under `name`. */
async function privateImage(name: string): Promise<string> {
  await lab.host.run(sh`cp -- ${`${lab.libraryDir}/${lab.image}.qcow2`} ${`${lab.libraryDir}/${name}.qcow2`}`);
  return name;
}

/** The backing file qemu-img reads in the node's disk header, or undefined when it has none. */
async function backingOf(node: NodeSpec): Promise<string | undefined> {
  const info = JSON.parse((await lab.host.run(['qemu-img', 'info', '--force-share', '--output=json', kvm.nodeDiskPath(node.name)])).stdout) as { 'backing-filename'?: string };
  return info['backing-filename'];
}

/** The disk's active block job as virsh prints it raw (empty: none). */
async function blockJob(node: NodeSpec): Promise<string> {
  return (await lab.host.run(['virsh', '--quiet', '--connect', lab.libvirt.uri, 'blockjob', '--domain', node.name, '--path', 'vda', '--info', '--raw'])).stdout.trim();
}

/** Writes a marker file in the guest and flushes it to the disk. */
async function writeMarker(node: NodeSpec): Promise<string> {
  const marker = `marker-${node.name}-${Date.now()}`;
  await lab.guestRunner(node).run(sh`echo ${marker} >/root/independent-marker && sync`);
  return marker;
}

async function readMarker(node: NodeSpec): Promise<string> {
  return (await lab.guestRunner(node).run(['cat', '/root/independent-marker'])).stdout.trim();
}

/** Pulls the plug and starts the node again, then waits for its SSH: a boot from its disk alone. */
async function powerCycle(node: NodeSpec): Promise<void> {
  await kvm.powerOff({ node, mode: 'hard' });
  expect(await kvm.powerStatus({ node })).toBe('off');
  await kvm.powerOn({ node });
  await lab.osModule.waitForResponse({ node, timeoutMs: 120_000 });
}

/** Hidden files in the node-disk directory (temp copies of a rebase); `.provkit` holds locks by design. */
async function hiddenNodeFiles(): Promise<string[]> {
  return (await lab.host.run(sh`ls -A -- ${lab.nodeDiskDir}`)).stdout.split('\n').filter((file) => file.startsWith('.') && file !== '.provkit');
}

const stepsOf = (events: ProgressEvent[]): string[] => events.filter((event) => event.operation === 'makeIndependent').map((event) => event.step);

describe('KvmProvisioner.makeIndependent on the lab libvirtd with a real guest', () => {
  it('refuses a node that does not exist, and a linked domain provkit did not define, changing nothing', async () => {
    await expect(kvm.makeIndependent({ node: await lab.newNode('absent') })).rejects.toSatisfy((error: unknown) => error instanceof NodeNotFoundError);
    // Someone else's domain on an overlay of the library image, defined with virsh directly.
    const node = await lab.newNode('foreign');
    const disk = kvm.nodeDiskPath(node.name);
    const image = `${lab.libraryDir}/${lab.image}.qcow2`;
    await lab.host.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image, disk]);
    const domainXml = buildDomainXml({ name: node.name, type: lab.libvirt.domainType, cpus: 1, memoryBytes: 64 << 20, clock: 'utc', disks: [{ path: disk, format: 'qcow2', target: 'vda' }], nics: [] });
    await lab.host.run(['virsh', '--quiet', '--connect', lab.libvirt.uri, 'define', '/dev/stdin'], { stdin: domainXml });
    foreign.push(node.name);
    const diskBefore = (await lab.host.run(['sha256sum', disk])).stdout;
    await expect(kvm.makeIndependent({ node })).rejects.toSatisfy((error: unknown) => error instanceof NodeNotManagedError && error.node === node.name);
    expect(await backingOf(node)).toBe(image);
    expect((await lab.host.run(['sha256sum', disk])).stdout).toBe(diskBefore);
    await lab.host.run(['rm', '-f', '--', disk]);
  });

  it('pulls a running linked node free of its image: the image is deleted, and the node reboots with its data', async () => {
    const image = await privateImage('indeplive-v1');
    const node = await lab.newNode('live');
    loaded.push(node);
    await kvm.load({ node, image });
    expect(await backingOf(node)).toBe(`${lab.libraryDir}/${image}.qcow2`);
    await expect(kvm.deleteImage({ image })).rejects.toSatisfy((error: unknown) => error instanceof ImageInUseError && error.usedBy.includes(node.name));
    const marker = await writeMarker(node);

    const events: ProgressEvent[] = [];
    const result = await kvm.makeIndependent({ node, onProgress: (event) => events.push(event) });
    expect(result).toMatchObject({ node: node.name, disks: [{ target: 'vda', path: kvm.nodeDiskPath(node.name), method: 'block-pull', formerBacking: `${lab.libraryDir}/${image}.qcow2` }] });
    const steps = stepsOf(events);
    expect(steps[0]).toBe('started');
    expect(steps.slice(1, 2)).toEqual(['block-pull-started']);
    expect(steps.slice(-2)).toEqual(['disk-independent', 'make-independent-done']);
    expect(await backingOf(node)).toBeUndefined();
    expect(await blockJob(node)).toBe('');
    // The guest kept running: still on, its files read over SSH.
    expect(await kvm.powerStatus({ node })).toBe('on');
    expect(await readMarker(node)).toBe(marker);

    // No longer a user of its image: deleteImage's own users check agrees.
    expect(await kvm.deleteImage({ image })).toEqual({ deleted: true });
    expect(await kvm.doesImageExist({ image })).toBe(false);
    await powerCycle(node);
    expect(await readMarker(node)).toBe(marker);

    // Again: nothing to do.
    expect((await kvm.makeIndependent({ node })).disks).toEqual([{ target: 'vda', path: kvm.nodeDiskPath(node.name), method: 'none' }]);
    await kvm.unload({ node });
  });

  it('rebases a shut-off node onto nothing through a temp copy: the image is deleted, and the node boots with its data', async () => {
    const image = await privateImage('indepoff-v1');
    const node = await lab.newNode('off');
    loaded.push(node);
    await kvm.load({ node, image });
    const marker = await writeMarker(node);
    await kvm.powerOff({ node, mode: 'graceful', timeoutMs: 60_000 });
    expect(await kvm.powerStatus({ node })).toBe('off');

    // What a rebase killed with its orchestrator leaves: a hidden temp copy beside the disk
    // (planted here as such a copy would be). leftovers reports it while nobody holds the node;
    // the next makeIndependent of the node removes it first, and says so.
    const stale = `${lab.nodeDiskDir}/.${node.name}.qcow2.part-0123abcd`;
    await lab.host.run(['cp', '--', kvm.nodeDiskPath(node.name), stale]);
    expect((await kvm.leftovers()).orphanFiles).toEqual([stale]);
    const warnings: string[] = [];
    const onWarning = (warning: { message: string }): void => void warnings.push(warning.message);
    kvm.events.on('warning', onWarning);

    const events: ProgressEvent[] = [];
    const result = await kvm.makeIndependent({ node, onProgress: (event) => events.push(event) });
    kvm.events.off('warning', onWarning);
    expect(warnings).toEqual([expect.stringContaining(stale)]);
    expect(result.disks).toEqual([{ target: 'vda', path: kvm.nodeDiskPath(node.name), method: 'rebase', formerBacking: `${lab.libraryDir}/${image}.qcow2` }]);
    expect(stepsOf(events)).toEqual(['started', 'rebase-started', 'disk-independent', 'make-independent-done']);
    expect(await backingOf(node)).toBeUndefined();
    expect(await hiddenNodeFiles()).toEqual([]);
    expect((await lab.host.run(['qemu-img', 'check', '-q', kvm.nodeDiskPath(node.name)], { check: false })).exitCode).toBe(0);

    expect(await kvm.deleteImage({ image })).toEqual({ deleted: true });
    await kvm.powerOn({ node });
    await lab.osModule.waitForResponse({ node, timeoutMs: 120_000 });
    expect(await readMarker(node)).toBe(marker);
    await kvm.unload({ node });
  });

  it('an abort or the bound mid-pull cancels the job and leaves the node linked and bootable; a pull left running is found and finished by the next call', async () => {
    const image = await privateImage('indepabort-v1');
    const node = await lab.newNode('abort');
    loaded.push(node);
    await kvm.load({ node, image });
    const marker = await writeMarker(node);
    const linked = `${lab.libraryDir}/${image}.qcow2`;

    // 1 MiB/s: the lab guest's ~18 MiB of data takes long enough to be stopped mid-way.
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const aborted = await kvm
      .makeIndependent({
        node,
        bandwidthMiBps: 1,
        signal: controller.signal,
        onProgress: (event) => {
          events.push(event);
          if (event.step === 'block-pull-progress') controller.abort();
        },
      })
      .catch((error: unknown) => error);
    expect(aborted).toBeInstanceOf(OperationFailedError);
    expect(aborted).toMatchObject({ operation: 'makeIndependent', step: 'block-pull' });
    expect((aborted as OperationFailedError).cause).toBeInstanceOf(AbortedError);
    expect(stepsOf(events).slice(-2)).toEqual(['block-pull-cancelled', 'make-independent-failed']);
    expect(await blockJob(node)).toBe('');
    expect(await backingOf(node)).toBe(linked);
    await expect(kvm.deleteImage({ image })).rejects.toBeInstanceOf(ImageInUseError);

    // The bound: the same, with a TimeoutError naming the pull.
    const timedOut = await kvm.makeIndependent({ node, bandwidthMiBps: 1, timeoutMs: 1500 }).catch((error: unknown) => error);
    expect(timedOut).toMatchObject({ operation: 'makeIndependent', step: 'block-pull' });
    expect((timedOut as OperationFailedError).cause).toBeInstanceOf(TimeoutError);
    expect((timedOut as OperationFailedError).message).toContain(`block pull of disk vda of node ${node.name}`);
    expect(await blockJob(node)).toBe('');
    expect(await backingOf(node)).toBe(linked);

    // Still a sound linked node: it boots from overlay and image, with its data.
    await powerCycle(node);
    expect(await readMarker(node)).toBe(marker);

    // A pull left running by an orchestrator that died (started here with virsh, as that one's
    // call had started it): QEMU kept copying, and the next call finds the job and waits for it.
    await lab.host.run(['virsh', '--quiet', '--connect', lab.libvirt.uri, 'blockpull', '--domain', node.name, '--path', 'vda', '--bandwidth', '1']);
    expect(await blockJob(node)).toContain('type=Block Pull');
    const later: ProgressEvent[] = [];
    expect((await kvm.makeIndependent({ node, onProgress: (event) => later.push(event) })).disks[0]).toMatchObject({ method: 'block-pull' });
    expect(stepsOf(later)).toContain('block-pull-found');
    expect(stepsOf(later)).not.toContain('block-pull-started');
    expect(await backingOf(node)).toBeUndefined();
    expect(await kvm.deleteImage({ image })).toEqual({ deleted: true });
    await powerCycle(node);
    expect(await readMarker(node)).toBe(marker);
    await kvm.unload({ node });
  });

  it("load with providerOptions.kvm.independent ends with a disk of its own; its image can go at once", async () => {
    const image = await privateImage('indepload-v1');
    const node = await lab.newNode('load');
    loaded.push(node);
    const events: ProgressEvent[] = [];
    await kvm.load({ node, image, providerOptions: { kvm: { independent: true } }, onProgress: (event) => events.push(event) });
    const load = events.filter((event) => event.operation === 'load').map((event) => event.step);
    expect(load).toEqual(['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done']);
    // The pull's own events come between post-load and the load's end.
    const independent = events.findIndex((event) => event.operation === 'makeIndependent' && event.step === 'make-independent-done');
    expect(independent).toBeGreaterThan(events.findIndex((event) => event.operation === 'load' && event.step === 'post-load-done'));
    expect(independent).toBeLessThan(events.findIndex((event) => event.operation === 'load' && event.step === 'load-done'));
    expect(await backingOf(node)).toBeUndefined();
    const marker = await writeMarker(node);

    expect(await kvm.deleteImage({ image })).toEqual({ deleted: true });
    await powerCycle(node);
    expect(await readMarker(node)).toBe(marker);
    await kvm.unload({ node });
  });
});
