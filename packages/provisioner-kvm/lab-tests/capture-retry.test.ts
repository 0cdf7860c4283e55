/**
 * Captures that fail at a step and are retried as they are, and the load's failures before
 * its disk exists, on the lab's real libvirtd and guest. A full filesystem is real: a small
 * tmpfs mounted on the host (root) as a library or node-disk directory, unmounted after.
 */
import { sh, CaptureFailedError, ImageNotFoundError, OperationFailedError, ProvkitError, type NodeSpec, type ProgressEvent } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvmProvisioner } from '../src/index.ts';
import { withRun } from './test-support/run-wrapper.ts';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

let lab: KvmLab;
let kvm: KvmProvisioner;
const loaded: NodeSpec[] = [];
const mounted: string[] = [];

beforeAll(async () => {
  lab = await startKvmLab();
  kvm = lab.provisioner();
});

afterAll(async () => {
  for (const node of loaded) await kvm?.unload({ node }).catch(() => undefined);
  for (const directory of mounted) await lab?.host.run(sh`umount -- ${directory}`).catch(() => undefined);
  await lab?.close();
});

/** A directory under the run directory with a tmpfs of `size` mounted on it (a real, small filesystem). */
async function smallFilesystem(label: string, size: string): Promise<string> {
  const directory = `${lab.runDir}/${label}`;
  await lab.host.run(sh`mkdir -p -- ${directory} && mount -t tmpfs -o ${`size=${size},mode=0755`} tmpfs ${directory}`);
  mounted.push(directory);
  return directory;
}

/**
 * Files in `directory`, with what is in provkit's own `.provkit` state directory listed as
 * `.provkit/<name>`, except what stays there by design: lock files (never deleted, see
 * host-lock.ts) and the library's overlay templates. An intent record left there is listed.
 */
async function filesIn(directory: string): Promise<string[]> {
  const listing = await lab.host.run(sh`ls -A -- ${directory} && { ls -A -- ${`${directory}/.provkit`} 2>/dev/null | sed 's|^|.provkit/|'; true; }`);
  return listing.stdout
    .split('\n')
    .filter(Boolean)
    .filter((file) => file !== '.provkit' && file !== '.provkit/overlay-templates' && !(file.startsWith('.provkit/') && file.endsWith('.lock')));
}

async function domState(node: NodeSpec): Promise<string> {
  return (await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'domstate', node.name])).stdout.trim();
}

/** The lab host's runner, calling `before` with each command's text before running it (fault injection at an exact command). */
function intercepted(before: (command: string) => Promise<void> | void): CommandRunner {
  const inner = lab.host;
  return withRun(inner, async (command, options) => {
    await before(Array.isArray(command) ? command.join(' ') : String(command));
    return inner.run(command, options);
  });
}

describe('KvmProvisioner capture retried as it is', () => {
  it('fails a capture into a full library with HOST_STORAGE_FULL, leaves no partial file, says the node is off and generalized, and a plain retry copies the disk without generalizing again', async () => {
    const node = await lab.newNode('full');
    loaded.push(node);
    await kvm.load({ node, image: lab.image });
    // Captures go to a library on a 1 MiB filesystem: the compressed copy of the guest does not fit.
    const library = await smallFilesystem('full-library', '1m');
    const small = lab.provisioner({ libraryDir: library });
    const image = `${node.name}-v1`;

    const error = await small.capture({ node, image }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ operation: 'capture', step: 'copy-disk', cleanupError: undefined });
    expect(await filesIn(library)).toEqual([]); // nothing left behind, not even the hidden partial copy
    expect(await domState(node)).toBe('shut off');

    // Space is freed; the same call again converges: the generalized, untouched disk is copied as it is.
    await lab.host.run(sh`mount -o remount,size=64m -- ${library}`);
    const steps: ProgressEvent[] = [];
    const retried = await small.capture({ node, image, onProgress: (event) => steps.push(event) });
    expect(retried.image).toBe(image);
    expect(steps.filter((event) => event.operation === 'capture').map((event) => event.step)).toEqual(['started', 'pre-capture-done', 'powered-off', 'image-stored', 'capture-done']);
    expect(steps.find((event) => event.step === 'pre-capture-done')?.detail).toMatch(/^skipped: generalized and shut down for capture of /);
    expect(steps.some((event) => event.operation === 'preCapture')).toBe(false); // the guest was not contacted
    expect(await small.doesImageExist({ image })).toBe(true);
    expect(await filesIn(library)).toEqual([`${image}.qcow2`]);

    // What the first failure said: its own code, and the node's real state (read from the host).
    expect(ProvkitError.reasonCode(error)).toBe('HOST_STORAGE_FULL');
    expect(error).toMatchObject({ nodeState: { power: 'off', generalized: 'yes' } });
    expect((error as Error).message).toContain(`Node ${node.name} is now powered off, generalized and shut down for capture (a retry copies its disk without generalizing again)`);
  });

  it('shuts down a guest whose capture is aborted mid-generalization, says it is off and partly generalized, and a plain retry boots and generalizes it again', async () => {
    const node = await lab.newNode('abort');
    loaded.push(node);
    await kvm.load({ node, image: lab.image });
    const image = `${node.name}-v1`;
    const controller = new AbortController();
    // Aborted right after the guest's SSH host keys were removed: a guest left running now refuses new SSH connections.
    const error = await kvm
      .capture({ node, image, signal: controller.signal, onProgress: (event) => event.operation === 'preCapture' && event.step === 'operation-done' && event.detail?.startsWith('ssh-hostkeys:') && controller.abort() })
      .catch((caught: unknown) => caught);
    expect(controller.signal.aborted).toBe(true);
    // Never left running half-generalized (refusing SSH): off, and the error says so.
    expect(await domState(node)).toBe('shut off');
    expect((error as Error).message).toContain(`Node ${node.name} is now powered off, partly generalized (a retry boots it and generalizes it again)`);
    expect(error).toBeInstanceOf(CaptureFailedError);
    expect(error).toMatchObject({ step: 'pre-capture', node: node.name, nodeState: { power: 'off', generalized: 'partly' }, cleanupError: undefined });
    expect(ProvkitError.reasonCode(error)).toBe('ABORTED');
    expect((await filesIn(lab.libraryDir)).filter((file) => file.startsWith('.'))).toEqual([]);
    expect(await kvm.doesImageExist({ image })).toBe(false);

    const steps: ProgressEvent[] = [];
    await kvm.capture({ node, image, onProgress: (event) => steps.push(event) });
    expect(steps.filter((event) => event.operation === 'capture').map((event) => event.step)).toEqual(['started', 'pre-capture-done', 'powered-off', 'image-stored', 'capture-done']);
    expect(steps[0]?.detail).toContain('stopped while generalizing');
    expect(steps.some((event) => event.operation === 'preCapture' && event.step === 'pre-capture-done')).toBe(true);
    expect(await kvm.doesImageExist({ image })).toBe(true);
    expect(await domState(node)).toBe('shut off');
    await kvm.unload({ node });
    await kvm.deleteImage({ image });
  });
});

describe('KvmProvisioner load failures before and at the disk', () => {
  it('names the step of an abort during the first checks, before anything exists', async () => {
    const node = await lab.newNode('early');
    const controller = new AbortController();
    const aborting = lab.provisioner({ runner: intercepted((command) => void (command.includes('qemu-img info') && controller.abort())) });
    const error = await aborting.load({ node, image: lab.image, signal: controller.signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ operation: 'load', step: 'check-image', cause: { code: 'ABORTED' } });
    expect((await filesIn(lab.nodeDiskDir)).filter((file) => file.startsWith(`${node.name}.`))).toEqual([]);
  });

  it('answers IMAGE_NOT_FOUND for an image deleted between the existence check and the read', async () => {
    const node = await lab.newNode('race');
    const image = 'racing-v1';
    const path = `${lab.libraryDir}/${image}.qcow2`;
    await lab.host.run(sh`cp -- ${`${lab.libraryDir}/${lab.image}.qcow2`} ${path}`);
    // Another process deletes the image after `test -f` said it was there and before qemu-img reads it.
    const racing = lab.provisioner({ runner: intercepted(async (command) => void (command.startsWith('qemu-img info') && command.includes(path) && (await lab.host.run(sh`rm -f -- ${path}`)))) });
    const error = await racing.load({ node, image }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect((await filesIn(lab.nodeDiskDir)).filter((file) => file.startsWith(`${node.name}.`))).toEqual([]);
  });

  it('fails a full-copy load onto a full node-disk filesystem with HOST_STORAGE_FULL and leaves nothing behind', async () => {
    const node = await lab.newNode('nospace');
    loaded.push(node);
    const nodes = await smallFilesystem('full-nodes', '1m');
    const small = lab.provisioner({ nodeDiskDir: nodes });
    const error = await small.load({ node, image: lab.image, diskMode: 'full' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ operation: 'load', step: 'prepare-disk', cause: { code: 'HOST_STORAGE_FULL', path: `${nodes}/${node.name}.qcow2` }, cleanupError: undefined });
    expect(ProvkitError.reasonCode(error)).toBe('HOST_STORAGE_FULL');
    expect(await filesIn(nodes)).toEqual([]);
    const domains = (await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'list', '--all', '--name'])).stdout.split('\n');
    expect(domains).not.toContain(node.name);
  });
});
