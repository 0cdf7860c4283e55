/**
 * Power operations, full-copy disks, serialization, the image library (sizes, listing,
 * retrieval between libraries, deletion) and input validation, on the lab's real libvirtd.
 * The conformance kit's run is in conformance.test.ts.
 */
import { sh, ImageExistsError, ImageNotFoundError, NodeExistsError, NodeNotFoundError, type CommandEvent, type NodeSpec } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvmProvisioner } from '../src/index.ts';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

let lab: KvmLab;
let kvm: KvmProvisioner;
const loaded: NodeSpec[] = [];

beforeAll(async () => {
  lab = await startKvmLab();
  kvm = lab.provisioner();
});

afterAll(async () => {
  for (const node of loaded) await kvm?.unload({ node }).catch(() => undefined);
  await lab?.close();
});

function recordCommands(): { commands: CommandEvent[]; stop: () => void } {
  const commands: CommandEvent[] = [];
  const listener = (event: CommandEvent): void => void commands.push(event);
  lab.hostPool.events.on('command', listener);
  return { commands, stop: () => lab.hostPool.events.off('command', listener) };
}

describe('KvmProvisioner input validation', () => {
  it('refuses bad input with InvalidInputError naming the field, before running any command on the host', async () => {
    const node = await lab.newNode('bad');
    const { commands, stop } = recordCommands();
    const refusals: Array<[Promise<unknown>, string]> = [
      [kvm.load({ node: { ...node, name: 'x;reboot' }, image: lab.image }), 'node.name'],
      [kvm.load({ node: { ...node, name: '../etc' }, image: lab.image }), 'node.name'],
      [kvm.load({ node, image: '../../etc/shadow-v1' }), 'image'],
      [kvm.load({ node, image: lab.image, size: { cpus: 1, memoryBytes: 0 } }), 'size.memoryBytes'],
      [kvm.load({ node, image: lab.image, size: { cpus: 0, memoryBytes: 1 << 30 } }), 'size.cpus'],
      [kvm.load({ node: { ...node, mac: '01:00:5e:00:00:01' }, image: lab.image }), 'node.mac'],
      [kvm.load({ node: { ...node, address: { host: 'a b', port: 22 } }, image: lab.image }), 'node.address.host'],
      [kvm.load({ node: { name: node.name }, image: lab.image }), 'node.address'],
      [kvm.capture({ node, image: 'no-revision' }), 'image'],
      [kvm.powerOff({ node, mode: 'gentle' as never }), 'mode'],
      [kvm.deleteImage({ image: 'x y-v1' }), 'image'],
      [kvm.retrieveImage({ image: lab.image, from: {} }), 'from'],
      [kvm.retrieveImage({ image: lab.image, from: kvm }), 'from'],
    ];
    for (const [refusal, field] of refusals) await expect(refusal).rejects.toMatchObject({ name: 'InvalidInputError', field });
    stop();
    expect(commands).toEqual([]);
  });

  it('refuses a disk smaller than the image and an unknown image before creating anything', async () => {
    const node = await lab.newNode('small');
    await expect(kvm.load({ node, image: lab.image, size: { cpus: 1, memoryBytes: 128 << 20, diskBytes: 1 << 20 } })).rejects.toMatchObject({ name: 'InvalidInputError', field: 'size.diskBytes' });
    await expect(kvm.load({ node, image: 'absent-v1' })).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(kvm.powerStatus({ node })).rejects.toBeInstanceOf(NodeNotFoundError);
  });
});

describe('KvmProvisioner power and full copies', () => {
  it('loads a full copy, serializes a concurrent load of the same node, and powers it off gracefully, on, reset and off hard', async () => {
    const node = await lab.newNode('power');
    loaded.push(node);
    const [first, second] = await Promise.allSettled([
      kvm.load({ node, image: lab.image, diskMode: 'full', size: { cpus: 1, memoryBytes: 160 << 20, diskBytes: 512 << 20 } }),
      kvm.load({ node, image: lab.image, diskMode: 'full', ifExists: 'refuse' }),
    ]);
    expect(first.status).toBe('fulfilled');
    // Serialized on the node: the second load ran after the first, found the node defined, and refused as asked.
    expect(second).toMatchObject({ status: 'rejected', reason: expect.any(NodeExistsError) });
    const chain = await kvm.host.imageInfo(kvm.nodeDiskPath(node.name), { backingChain: true });
    expect(chain).toHaveLength(1); // a full copy has no backing file
    expect(chain![0]!.virtualBytes).toBe(512 << 20); // grown to the requested disk size

    const started = Date.now();
    await kvm.powerOff({ node, mode: 'graceful', timeoutMs: 60_000 });
    const gracefulMs = Date.now() - started;
    expect(await kvm.powerStatus({ node })).toBe('off');
    // libvirt's reason says the guest shut itself down (ACPI), not that the plug was pulled.
    expect((await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'domstate', '--reason', node.name])).stdout.trim()).toBe('shut off (shutdown)');
    await kvm.powerOn({ node });
    expect(await kvm.powerStatus({ node })).toBe('on');
    await kvm.powerReset({ node });
    expect(await kvm.powerStatus({ node })).toBe('on');
    await kvm.powerOff({ node, mode: 'hard' });
    expect(await kvm.powerStatus({ node })).toBe('off');
    await kvm.powerOff({ node, mode: 'hard' }); // already off: nothing to do
    expect(gracefulMs).toBeLessThan(60_000);
    expect((await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'domstate', '--reason', node.name])).stdout.trim()).toBe('shut off (destroyed)');
    await kvm.unload({ node });
    await expect(kvm.powerStatus({ node })).rejects.toBeInstanceOf(NodeNotFoundError);
  });
});

describe('KvmProvisioner with several nodes', () => {
  it('loads two nodes in parallel over the one host connection, reports post-load, forces off a guest that ignores the power button, and captures with end state on', async () => {
    const [a, b] = [await lab.newNode('par'), await lab.newNode('par')];
    loaded.push(a, b);
    await kvm.listImages(); // the host connection is open before the loads
    const opened = lab.hostPool.stats.connectionsOpened;
    const steps: Array<{ node: string; step: string }> = [];
    await Promise.all([a, b].map((node) => kvm.load({ node, image: lab.image, onProgress: (event) => steps.push({ node: node.name, step: event.step }) })));
    // Parallel, not one after the other: each node was powered on before the other's load was done.
    const at = (node: NodeSpec, step: string): number => steps.findIndex((entry) => entry.node === node.name && entry.step === step);
    expect(at(a, 'powered-on')).toBeGreaterThanOrEqual(0);
    expect(at(a, 'powered-on')).toBeLessThan(at(b, 'load-done'));
    expect(at(b, 'powered-on')).toBeLessThan(at(a, 'load-done'));
    expect(lab.hostPool.stats.connectionsOpened).toBe(opened);

    // VCL's post-load state: the right image, but post-load has not finished.
    await lab.osModule.writeCurrentImage({ node: b, info: { image: lab.image, properties: {}, postLoadDone: false } });
    expect(await kvm.nodeStatus({ node: b, image: lab.image })).toMatchObject({ status: 'post-load', power: 'on', ssh: true, currentImage: lab.image });

    // The batch answers as nodeStatus does, node by node, from two host commands in all.
    const absent = await lab.newNode('absent');
    const one = await Promise.all([a, b, absent].map((node) => kvm.nodeStatus({ node })));
    const { commands: batchCommands, stop: stopBatch } = recordCommands();
    const batch = await kvm.nodeStatuses({ nodes: [a, b, absent] });
    stopBatch();
    expect(batch).toEqual([a, b, absent].map((node, index) => ({ node: node.name, status: one[index] })));
    expect(batch.map((entry) => entry.status.status)).toEqual(['ready', 'post-load', 'reload']);
    expect(batchCommands.filter((event) => event.target === lab.host.target).map((event) => event.command.split(' ').slice(0, 5).join(' '))).toEqual([
      `virsh --quiet --connect ${lab.libvirt.uri} list`,
      `virsh --quiet --connect ${lab.libvirt.uri} 'dumpxml`,
    ]);

    // The guest's power-button watcher is a `head` on the input device: without it the button does nothing.
    await lab.guestRunner(b).run(['killall', 'head']);
    const warnings: string[] = [];
    const onWarning = (warning: { message: string }): void => void warnings.push(warning.message);
    kvm.events.on('warning', onWarning);
    await kvm.powerOff({ node: b, mode: 'graceful', timeoutMs: 3000 });
    kvm.events.off('warning', onWarning);
    expect(warnings).toEqual([expect.stringContaining(`node ${b.name} did not shut down within 3000 ms; forcing it off`)]);
    expect((await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'domstate', '--reason', b.name])).stdout.trim()).toBe('shut off (destroyed)');

    const captured = `${a.name}-on-v1`;
    const capture = await kvm.capture({ node: a, image: captured, endState: 'on' });
    expect(capture.image).toBe(captured);
    expect(await kvm.powerStatus({ node: a })).toBe('on');
    // Back on the generalized disk, with new host keys the OS module was told to trust afresh.
    await lab.osModule.waitForResponse({ node: a, timeoutMs: 120_000 });
    expect((await lab.guestRunner(a).run(['cat', '/etc/machine-id'])).stdout.trim()).toMatch(/^[0-9a-f]{32}$/);

    for (const node of [a, b]) await kvm.unload({ node });
    await kvm.deleteImage({ image: captured });
  });
});

describe('KvmProvisioner image library', () => {
  it('reports sizes, lists images by base, retrieves an image from another library verified by checksum, and deletes it', async () => {
    const size = await kvm.getImageSize({ image: lab.image });
    expect(size.virtualBytes).toBe(lab.guest.virtualBytes);
    expect(size.allocatedBytes).toBeGreaterThan(0);
    expect(await kvm.listImages({ base: 'labguest' })).toEqual([{ name: lab.image, base: 'labguest', revision: 1, format: 'qcow2', ...size }]);
    expect(await kvm.listImages({ base: 'other' })).toEqual([]);

    const otherLibrary = `${lab.runDir}/library-2`;
    await lab.host.run(['mkdir', '-p', otherLibrary]);
    const other = lab.provisioner({ libraryDir: otherLibrary });
    expect(await other.doesImageExist({ image: lab.image })).toBe(false);
    await other.retrieveImage({ image: lab.image, from: kvm });
    // Same content (checksums below); the file system may allocate the copy differently.
    expect((await other.getImageSize({ image: lab.image })).virtualBytes).toBe(size.virtualBytes);
    const digests = await lab.host.run(['sha256sum', kvm.library.path(lab.image), other.library.path(lab.image)]);
    const [a, b] = digests.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
    expect(a).toBe(b);
    await expect(other.retrieveImage({ image: lab.image, from: kvm })).rejects.toBeInstanceOf(ImageExistsError);
    await expect(other.retrieveImage({ image: 'absent-v1', from: kvm })).rejects.toBeInstanceOf(ImageNotFoundError);
    // No temp file left (`.provkit` holds the image lock files, which stay by design).
    expect((await lab.host.run(['ls', '-A', '-I', '.provkit', otherLibrary])).stdout.trim()).toBe(`${lab.image}.qcow2`);

    // A node disk qemu-img cannot read might be an overlay on the image: deleting it is refused, not guessed.
    const otherNodes = other.settings.nodeDiskDir;
    const unreadable = `${otherNodes}/pklab-unreadable.qcow2`;
    // qcow2's magic with version 255: qemu-img refuses to read it.
    await lab.host.run(sh`printf ${'QFI\\373\\000\\000\\000\\377'} >${unreadable}`);
    await expect(other.deleteImage({ image: lab.image })).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('pklab-unreadable.qcow2') });
    expect(await other.doesImageExist({ image: lab.image })).toBe(true);
    await lab.host.run(sh`rm -f -- ${unreadable}`);

    expect(await other.deleteImage({ image: lab.image })).toEqual({ deleted: true });
    expect(await other.doesImageExist({ image: lab.image })).toBe(false);
    // Idempotent, like unload: nothing left to delete is not an error.
    expect(await other.deleteImage({ image: lab.image })).toEqual({ deleted: false });
    await expect(kvm.getImageSize({ image: 'absent-v1' })).rejects.toBeInstanceOf(ImageNotFoundError);
  });
});
