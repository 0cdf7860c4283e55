/**
 * What the conformance kit does not reach: graceful power-off through QMP, power-on again,
 * capture of a generalized guest into the library and a load of the captured image, and the
 * image-in-use rule, on the lab's real guest under QEMU TCG with `@provkit/os-linux`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageExistsError, ImageInUseError, NodeExistsError, NodeNotManagedError, type ProgressEvent } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuProvisioner, nodeFiles, parseImageInfo } from 'provkit-example-provisioner-qemu';
import { GUEST_IMAGE, labGuestOsModule, setUpLabQemu, type LabQemu } from './lab-guest.ts';

let lab: LabQemu;
let provisioner: QemuProvisioner;
let osModule: ReturnType<typeof labGuestOsModule>;

beforeAll(async () => {
  lab = await setUpLabQemu();
  osModule = labGuestOsModule(lab.runnerFor);
  provisioner = new QemuProvisioner({ ...lab.config, osModule });
});

afterAll(async () => {
  await provisioner?.close();
  await lab?.close();
});

/** Command lines of the QEMU processes running node `name`. */
async function qemuProcessesOf(name: string): Promise<string[]> {
  const processes = (await lab.config.host.run(['ps', '-eo', 'args'])).stdout.split('\n');
  return processes.filter((line) => line.startsWith('qemu-system') && line.includes(nodeFiles(lab.config.nodesDir, name).pidfile));
}

describe('QemuProvisioner on the lab guest', () => {
  it('loads with the LOAD_STEPS steps in order (post-load sub-steps through onProgress), powers off through QMP and on again, captures a generalized guest, and reloads the node with the capture (refused on ifExists refuse, replaced otherwise)', async () => {
    const node = await lab.newNode('life');
    try {
      const steps: ProgressEvent[] = [];
      const loaded = await provisioner.load({ node, image: GUEST_IMAGE, customization: { hostname: 'life-node' }, onProgress: (event) => steps.push(event) });
      expect(steps.filter((event) => event.operation === 'load').map((event) => event.step)).toEqual(['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done']);
      // The OS module's post-load sub-steps reach the load's own onProgress.
      expect(steps.some((event) => event.operation === 'postLoad')).toBe(true);
      expect(loaded.address).toEqual(node.address);
      expect(await provisioner.getCurrentImage({ node })).toBe(GUEST_IMAGE);
      expect(await qemuProcessesOf(node.name)).toHaveLength(1);
      const files = nodeFiles(lab.config.nodesDir, node.name);
      expect(parseImageInfo((await lab.config.host.run(['qemu-img', 'info', '-U', '--output=json', files.disk])).stdout).backingFile).toBe(join(lab.config.libraryDir, `${GUEST_IMAGE}.qcow2`));

      // Graceful: the guest's power-button watcher logs the press before it powers off.
      const warnings: unknown[] = [];
      provisioner.events.on('warning', (warning) => warnings.push(warning));
      await provisioner.powerOff({ node, mode: 'graceful', timeoutMs: 60_000 });
      expect(warnings).toEqual([]);
      expect(await provisioner.powerStatus({ node })).toBe('off');
      await provisioner.powerOn({ node });
      expect(await provisioner.powerStatus({ node })).toBe('on');
      // powerOn does not wait for the guest, and nodeStatus probes once (VCL's node_status): wait for SSH first.
      await osModule.waitForResponse({ node, timeoutMs: 120_000 });
      const status = await provisioner.nodeStatus({ node, image: GUEST_IMAGE });
      expect(status).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: GUEST_IMAGE });
      const bootLog = (await lab.runnerFor(node).run(['cat', '/var/log/boot.log'])).stdout;
      expect(bootLog).toContain('power button');
      expect((await lab.runnerFor(node).run(['hostname'])).stdout.trim()).toBe('life-node');
      const machineId = (await lab.runnerFor(node).run(['cat', '/etc/machine-id'])).stdout.trim();

      const captured = `captured-${Date.now()}-v1`;
      const captureSteps: string[] = [];
      const result = await provisioner.capture({ node, image: captured, onProgress: (event) => event.operation === 'capture' && captureSteps.push(event.step) });
      expect(captureSteps).toEqual(['started', 'pre-capture-done', 'powered-off', 'image-stored', 'capture-done']);
      expect(result.image).toBe(captured);
      expect(result.sizeBytes).toBeGreaterThan(0);
      expect(result.virtualBytes).toBe(lab.guest.virtualBytes);
      expect(await provisioner.powerStatus({ node })).toBe('off');
      const listed = await provisioner.listImages();
      expect(listed.map((image) => image.name).sort()).toEqual([captured, GUEST_IMAGE].sort());
      // Flattened: the captured image stands alone, with no backing file.
      expect(parseImageInfo((await lab.config.host.run(['qemu-img', 'info', '--output=json', join(lab.config.libraryDir, `${captured}.qcow2`)])).stdout).backingFile).toBeUndefined();
      await expect(provisioner.capture({ node, image: captured, skipPreCapture: true })).rejects.toBeInstanceOf(ImageExistsError);

      // VCL's next reservation: the same node, same SSH port, reloaded with the capture. Its first
      // boot makes new host keys (preCapture removed them), so load forgets the old known_hosts entry.
      const knownKey = async (): Promise<string | undefined> => (await readFile(lab.knownHostsPath, 'utf8')).split('\n').find((line) => line.startsWith(`[127.0.0.1]:${node.address?.port} `));
      const keyBefore = await knownKey();
      expect(keyBefore).toBeDefined();
      await expect(provisioner.load({ node, image: captured, ifExists: 'refuse' })).rejects.toBeInstanceOf(NodeExistsError);
      const reloadSteps: string[] = [];
      await provisioner.load({ node, image: captured, onProgress: (event) => event.operation === 'load' && reloadSteps.push(event.step) });
      expect(reloadSteps.slice(0, 3)).toEqual(['started', 'node-replaced', 'disk-prepared']);
      expect(await qemuProcessesOf(node.name)).toHaveLength(1);
      expect(await provisioner.nodeStatus({ node, image: captured })).toMatchObject({ status: 'ready', currentImage: captured });
      expect(await knownKey()).toBeDefined();
      expect(await knownKey()).not.toBe(keyBefore);
      // preCapture generalized the disk that was captured: its machine id was emptied, so this boot made a new one.
      const newMachineId = (await lab.runnerFor(node).run(['cat', '/etc/machine-id'])).stdout.trim();
      expect(newMachineId).toMatch(/^[0-9a-f]{32}$/);
      expect(newMachineId).not.toBe(machineId);

      // While a node runs on the capture the library refuses to delete it.
      await expect(provisioner.deleteImage({ image: captured })).rejects.toBeInstanceOf(ImageInUseError);
      await provisioner.unload({ node });
      expect(await qemuProcessesOf(node.name)).toEqual([]);
      expect(await provisioner.deleteImage({ image: captured })).toEqual({ deleted: true });
      expect(await provisioner.doesImageExist({ image: captured })).toBe(false);
      expect(await provisioner.deleteImage({ image: captured })).toEqual({ deleted: false });
      expect(await provisioner.doesImageExist({ image: GUEST_IMAGE })).toBe(true);
    } finally {
      await provisioner.unload({ node });
    }
  }, 600_000);

  it('reports reload for a node that runs another image and post-load when post-load has not run', async () => {
    const node = await lab.newNode('stat');
    try {
      await provisioner.load({ node, image: GUEST_IMAGE });
      expect(await provisioner.nodeStatus({ node, image: 'other-v3' })).toMatchObject({ status: 'reload', currentImage: GUEST_IMAGE });
      await osModule.writeCurrentImage({ node, info: { image: GUEST_IMAGE, properties: {}, postLoadDone: false } });
      expect(await provisioner.nodeStatus({ node, image: GUEST_IMAGE })).toMatchObject({ status: 'post-load', power: 'on', ssh: true });
      // A provisioner without an OS module of its own: the one given per call decides.
      const bare = new QemuProvisioner(lab.config);
      expect(await bare.nodeStatus({ node, image: GUEST_IMAGE, osModule })).toMatchObject({ status: 'post-load', power: 'on', ssh: true });
      expect(await bare.nodeStatus({ node, image: GUEST_IMAGE })).toMatchObject({ status: 'reload', detail: expect.stringContaining('no OS module') });
      await bare.close();
      await provisioner.powerOff({ node, mode: 'hard' });
      expect(await provisioner.nodeStatus({ node, image: GUEST_IMAGE })).toMatchObject({ status: 'reload', power: 'off', ssh: false });
    } finally {
      await provisioner.unload({ node });
    }
  }, 600_000);

  it("never touches a node directory without provkit's marker: load, unload, power-on and power-off refuse with NodeNotManagedError; powerStatus reads it", async () => {
    const node = await lab.foreignNode('foreign');
    const files = nodeFiles(lab.config.nodesDir, node.name);
    try {
      for (const ifExists of ['replace', 'refuse'] as const) {
        await expect(provisioner.load({ node, image: GUEST_IMAGE, ifExists })).rejects.toSatisfy((error: unknown) => error instanceof NodeNotManagedError && error.node === node.name);
      }
      await expect(provisioner.unload({ node })).rejects.toBeInstanceOf(NodeNotManagedError);
      await expect(provisioner.powerOn({ node })).rejects.toBeInstanceOf(NodeNotManagedError);
      await expect(provisioner.powerOff({ node, mode: 'graceful' })).rejects.toBeInstanceOf(NodeNotManagedError);
      await expect(provisioner.powerReset({ node })).rejects.toBeInstanceOf(NodeNotManagedError);
      expect(await provisioner.powerStatus({ node })).toBe('off');
      expect((await lab.config.host.run(['ls', '-A', files.dir])).stdout.trim()).toBe('disk.qcow2');
      expect((await lab.config.host.run(['cat', files.disk])).stdout.trim()).toBe('theirs');
    } finally {
      await lab.config.host.run(['rm', '-rf', '--', files.dir]);
    }
  });

  it('stops a load aborted once the machine is powered on, and removes the node', async () => {
    const node = await lab.newNode('abort');
    const controller = new AbortController();
    const onProgress = (event: ProgressEvent): void => {
      if (event.step === 'powered-on') controller.abort();
    };
    const error = await provisioner.load({ node, image: GUEST_IMAGE, signal: controller.signal, onProgress }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'OperationFailedError', step: 'machine-booted', cause: expect.objectContaining({ code: 'ABORTED' }) });
    await expect(provisioner.powerStatus({ node })).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    expect(await qemuProcessesOf(node.name)).toEqual([]);
  }, 120_000);

  it('cleans up a load whose boot wait times out and names the step', async () => {
    const node = await lab.newNode('slow');
    const error = await provisioner.load({ node, image: GUEST_IMAGE, bootTimeoutMs: 1 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'OperationFailedError', step: 'machine-booted' });
    await expect(provisioner.powerStatus({ node })).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    expect((await lab.config.host.run(['ls', '-A', lab.config.nodesDir])).stdout.trim()).toBe('');
  }, 120_000);
});
