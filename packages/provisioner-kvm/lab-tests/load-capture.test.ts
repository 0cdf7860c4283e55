/**
 * The KVM provisioner against the lab's real libvirtd (reached through the lab sshd as a
 * remote host) booting the lab's real Linux guest under TCG.
 */
import { sh, AbortedError, ImageExistsError, ImageInUseError, InvalidStateError, OperationFailedError, type NodeSpec, type OsModuleV1, type ProgressEvent, type WaitOptions } from '@provkit/core';
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

/** What the host holds for a node: its domain and files in the node-disk directory, and temp files in the library. */
async function leftovers(node: NodeSpec): Promise<{ domain: boolean; nodeFiles: string[]; libraryTemps: string[] }> {
  const domains = (await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'list', '--all', '--name'])).stdout.split('\n');
  const list = async (directory: string): Promise<string[]> => (await lab.host.run(sh`ls -A -- ${directory}`)).stdout.split('\n').filter(Boolean);
  return {
    domain: domains.includes(node.name),
    nodeFiles: (await list(lab.nodeDiskDir)).filter((file) => file.startsWith(`${node.name}.`)),
    // `.provkit` holds the image lock files, which stay by design (never deleted, see host-lock.ts).
    libraryTemps: (await list(lab.libraryDir)).filter((file) => file.startsWith('.') && file !== '.provkit'),
  };
}

/** `module` with its `waitForResponse` replaced (every other method still the module's own). */
function withWaitForResponse(module: OsModuleV1, waitForResponse: (options: WaitOptions) => Promise<void>): OsModuleV1 {
  return new Proxy(module, {
    get: (target, key) => {
      if (key === 'waitForResponse') return waitForResponse;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** What makes a booted guest this machine: its SSH host key and its machine id. */
async function identity(node: NodeSpec): Promise<{ hostKey: string; machineId: string }> {
  const [hostKey, machineId] = (await lab.guestRunner(node).run(sh`ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2; cat /etc/machine-id`)).stdout.trim().split('\n');
  return { hostKey: hostKey!, machineId: machineId! };
}

describe('KvmProvisioner on the lab libvirtd with a real guest', () => {
  it('loads, reports ready, captures a marker into a new image, loads it on a second node at the same address, and unloads both leaving nothing', async () => {
    const first = await lab.newNode('a');
    // The capture is loaded at the first node's address, as VCL reloads a lab seat: the new
    // machine brings new host keys, which the OS module must trust afresh (accept-new + forgetNode).
    const second = { name: (await lab.newNode('b')).name, address: first.address };
    const steps: ProgressEvent[] = [];
    loaded.push(first);
    const result = await kvm.load({ node: first, image: lab.image, onProgress: (event) => steps.push(event) });
    expect(result).toMatchObject({ node: first.name, image: lab.image, address: first.address });
    expect(steps.filter((event) => event.operation === 'load').map((event) => event.step)).toEqual(['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done']);
    // The OS module's post-load sub-steps reach the load's own onProgress, between its steps.
    const postLoad = steps.flatMap((event, index) => (event.operation === 'postLoad' ? [index] : []));
    expect(postLoad.length).toBeGreaterThan(0);
    const at = (step: string): number => steps.findIndex((event) => event.operation === 'load' && event.step === step);
    expect(Math.min(...postLoad)).toBeGreaterThan(at('machine-booted'));
    expect(Math.max(...postLoad)).toBeLessThan(at('post-load-done'));

    const firstStatus = await kvm.nodeStatus({ node: first, image: lab.image });
    expect(firstStatus, firstStatus.detail).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: lab.image });
    expect(await kvm.nodeStatus({ node: first, image: 'other-v1' })).toMatchObject({ status: 'reload', ssh: true });
    expect(await kvm.getCurrentImage({ node: first })).toBe(lab.image);
    // The node's disk is an overlay on the library image, so the image cannot go.
    await expect(kvm.deleteImage({ image: lab.image })).rejects.toSatisfy((error: unknown) => error instanceof ImageInUseError && error.usedBy.includes(first.name));

    const marker = `marker-${Date.now()}`;
    const guest = lab.osModule;
    await lab.guestRunner(first).run(sh`echo ${marker} >/root/marker && sync`);
    const firstIdentity = await identity(first);

    const captured = `${first.name}-v1`;
    await expect(kvm.capture({ node: first, image: lab.image })).rejects.toBeInstanceOf(ImageExistsError);
    const captureSteps: ProgressEvent[] = [];
    const capture = await kvm.capture({ node: first, image: captured, osModule: guest, onProgress: (event) => captureSteps.push(event) });
    expect(capture.image).toBe(captured);
    expect(captureSteps.filter((event) => event.operation === 'capture').map((event) => event.step)).toEqual(['started', 'pre-capture-done', 'powered-off', 'image-stored', 'capture-done']);
    // preCapture's own sub-steps (the generalization) reach the capture's onProgress too.
    expect(captureSteps.some((event) => event.operation === 'preCapture')).toBe(true);
    expect(capture.sizeBytes).toBeGreaterThan(0);
    expect(capture.virtualBytes).toBe(lab.guest.virtualBytes);
    expect(await kvm.powerStatus({ node: first })).toBe('off');
    expect((await kvm.listImages()).map((image) => image.name)).toEqual(expect.arrayContaining([lab.image, captured]));
    const chain = await kvm.host.imageInfo(kvm.library.path(captured), { backingChain: true });
    expect(chain).toHaveLength(1); // standalone: flattened, no backing file

    loaded.push(second);
    await kvm.load({ node: second, image: captured });
    const onSecond = lab.guestRunner(second);
    expect((await onSecond.run(['cat', '/root/marker'])).stdout.trim()).toBe(marker);
    // Generalized at capture: the second node made its own host keys and machine id at boot.
    const secondIdentity = await identity(second);
    expect(secondIdentity.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(secondIdentity.machineId).not.toBe(firstIdentity.machineId);
    expect(secondIdentity.hostKey).toMatch(/^SHA256:/);
    expect(secondIdentity.hostKey).not.toBe(firstIdentity.hostKey);
    const secondStatus = await kvm.nodeStatus({ node: second, image: captured });
    expect(secondStatus, secondStatus.detail).toMatchObject({ status: 'ready', currentImage: captured });

    await kvm.unload({ node: first });
    await kvm.unload({ node: second });
    await kvm.unload({ node: second }); // idempotent
    for (const node of [first, second]) expect(await leftovers(node)).toEqual({ domain: false, nodeFiles: [], libraryTemps: [] });
    await kvm.deleteImage({ image: captured });
    expect(await kvm.doesImageExist({ image: captured })).toBe(false);
  });

  it('fails a load whose guest never answers SSH with a timeout naming the step, and leaves nothing behind', async () => {
    // The forward goes to a guest port nothing listens on: the guest boots but SSH never answers.
    const silent = lab.provisioner({ network: { kind: 'user-forward', guestPort: 2222 } });
    const node = await lab.newNode('silent');
    loaded.push(node);
    const error = await silent.load({ node, image: lab.image, bootTimeoutMs: 8000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ operation: 'load', step: 'wait-for-boot', cause: { code: 'TIMEOUT' }, cleanupError: undefined });
    expect((error as Error).message).toMatch(new RegExp(`load failed at step wait-for-boot: Timed out after 8000 ms waiting for SSH on node ${node.name}`));
    expect(await leftovers(node)).toEqual({ domain: false, nodeFiles: [], libraryTemps: [] });
  });

  it('waits for the boot with one call of the OS module for the whole bound, so its banner probing keeps what it learned', async () => {
    // A fresh waitForResponse every 15 s forgot that the guest greets slowly (the probe bound
    // only grows after ten silent probes): on a loaded host the soak's guest was never heard.
    const calls: WaitOptions[] = [];
    const osModule = withWaitForResponse(lab.osModule, (options) => {
      calls.push(options);
      return lab.osModule.waitForResponse(options);
    });
    const node = await lab.newNode('one-wait');
    loaded.push(node);
    let booted = false;
    await lab.provisioner({ osModule }).load({ node, image: lab.image, bootTimeoutMs: 90_000, onProgress: (event) => (booted ||= event.step === 'machine-booted') });
    expect(booted).toBe(true);
    // Post-load may wait for the guest again (after a reboot); the boot wait is the first call.
    expect(calls[0]).toMatchObject({ node: { name: node.name }, timeoutMs: 90_000 });
    await kvm.unload({ node });
    expect(await leftovers(node)).toEqual({ domain: false, nodeFiles: [], libraryTemps: [] });
  });

  it('ends the boot wait at once when the domain stops running, with the node state as the cause, and leaves nothing behind', async () => {
    const node = await lab.newNode('stops');
    loaded.push(node);
    // The module waits until its signal fires (a guest that never answers); the domain is
    // destroyed under it, which only the provisioner's watch of the domain can see.
    const osModule = withWaitForResponse(lab.osModule, async ({ signal }) => {
      await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'destroy', node.name]);
      await new Promise<void>((_resolve, reject) => {
        const stop = (): void => reject(new AbortedError('the guest'));
        // The provisioner may have seen the domain stop while the destroy's answer came back.
        if (signal!.aborted) stop();
        else signal!.addEventListener('abort', stop, { once: true });
      });
    });
    const error = await lab.provisioner({ osModule }).load({ node, image: lab.image, bootTimeoutMs: 90_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ operation: 'load', step: 'wait-for-boot', cleanupError: undefined });
    expect((error as OperationFailedError).cause).toBeInstanceOf(InvalidStateError);
    // The state the watch read: `shut off`, or `in shutdown` when its poll met the destroy under
    // way (libvirt's state while QEMU is being stopped; seen once in CI); either ends the wait.
    expect(((error as OperationFailedError).cause as Error).message).toMatch(new RegExp(`^node ${node.name} is (shut off|in shutdown) while booting$`));
    expect(await leftovers(node)).toEqual({ domain: false, nodeFiles: [], libraryTemps: [] });
  });

  it('cleans up when a load is aborted mid-way (after power-on)', async () => {
    const node = await lab.newNode('abort');
    loaded.push(node);
    const controller = new AbortController();
    const error = await kvm
      .load({ node, image: lab.image, signal: controller.signal, onProgress: (event) => event.step === 'powered-on' && controller.abort() })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationFailedError);
    expect(error).toMatchObject({ step: 'wait-for-boot', cause: { code: 'ABORTED' }, cleanupError: undefined });
    expect(await leftovers(node)).toEqual({ domain: false, nodeFiles: [], libraryTemps: [] });
  });
});
