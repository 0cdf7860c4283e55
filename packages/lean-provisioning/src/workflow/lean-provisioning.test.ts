import { describe, expect, it } from 'vitest';
import { BaseProvisioner, type CaptureOptions, type CaptureResult, type ImageInfo, type ImageOperationOptions, type ImageSize, type LoadOptions, type LoadResult, type NodeOperationOptions, type NodeStatusResult, type PowerState, CommandFailedError, ImageExistsError, ImageNotFoundError, InvalidInputError, ProvkitError, UnsupportedFunctionalityError, type ProgressEvent } from '@provkit/core';
import type { PermissionRequest } from '../model/allocate-storage.ts';
import { MemoryInventory } from '../model/memory-inventory.ts';
import { MemoryStorageCatalog } from '../model/memory-storage-catalog.ts';
import { createProfile } from '../model/profile.ts';
import { TemplateMode } from '../model/template-mode.ts';
import { LEAN_PROVISIONING_STEPS, LeanProvisioning, type LeanProvisioningOptions, type LeanProvisioningRun } from './lean-provisioning.ts';

type Failure = 'load-template' | 'capture' | 'load-vm';

/**
 * STAND-IN PROVISIONER (not a real peer): the smallest BaseProvisioner that keeps an image
 * library (with virtual sizes) and defined nodes in memory and fails at one chosen step, the
 * way a real one does (after removing what it created). With `growsDisks: false` it refuses a
 * disk size other than the image's, as the ESX provisioner does. It exists only to drive the
 * workflow's paths in unit tests; the real KVM provisioner runs the workflow in the lab tests.
 */
class StandInProvisioner extends BaseProvisioner {
  readonly provider = 'stand-in';
  readonly images = new Set<string>(['debian12-base-v1']);
  /** Virtual size of each image: the base image is smaller than the profile's disk. */
  readonly virtualBytes = new Map<string, number>([['debian12-base-v1', 2 * 1024 ** 3]]);
  readonly nodes = new Map<string, string>();
  readonly nodeDisks = new Map<string, number>();
  readonly calls: string[] = [];
  /** The `size` of every load, in order. */
  readonly sizes: (LoadOptions['size'] | undefined)[] = [];
  growsDisks = true;
  failAt: Failure | undefined;

  async load(options: LoadOptions): Promise<LoadResult> {
    this.calls.push(`load ${options.node.name} ${options.image}`);
    this.sizes.push(options.size);
    const imageBytes = this.virtualBytes.get(options.image);
    if (imageBytes === undefined) throw new ImageNotFoundError(options.image);
    const diskBytes = options.size?.diskBytes ?? imageBytes;
    if (diskBytes < imageBytes) throw new InvalidInputError('size.diskBytes', `${diskBytes} bytes is below the image's ${imageBytes}`);
    if (diskBytes !== imageBytes && !this.growsDisks) throw new UnsupportedFunctionalityError('growing the system disk at load', 'the stand-in');
    const failing = options.image === 'debian12-base-v1' ? 'load-template' : 'load-vm';
    if (this.failAt === failing) throw new CommandFailedError({ command: 'virsh start', target: 'stand-in', exitCode: 1, stderrTail: 'no room' });
    this.nodes.set(options.node.name, options.image);
    this.nodeDisks.set(options.node.name, diskBytes);
    return { node: options.node.name, image: options.image, durationMs: 1 };
  }

  async capture(options: CaptureOptions): Promise<CaptureResult> {
    this.calls.push(`capture ${options.node.name} ${options.image}`);
    if (this.images.has(options.image)) throw new ImageExistsError(options.image, 'stand-in library');
    if (this.failAt === 'capture') throw new CommandFailedError({ command: 'qemu-img convert', target: 'stand-in', exitCode: 1, stderrTail: 'disk full' });
    const virtualBytes = this.nodeDisks.get(options.node.name)!;
    this.images.add(options.image);
    this.virtualBytes.set(options.image, virtualBytes);
    return { image: options.image, sizeBytes: 1024, virtualBytes, durationMs: 1 };
  }

  async unload(options: NodeOperationOptions): Promise<void> {
    this.calls.push(`unload ${options.node.name}`);
    this.nodes.delete(options.node.name);
    this.nodeDisks.delete(options.node.name);
  }

  async deleteImage(options: ImageOperationOptions): Promise<{ deleted: boolean }> {
    this.calls.push(`deleteImage ${options.image}`);
    this.virtualBytes.delete(options.image);
    return { deleted: this.images.delete(options.image) };
  }

  async nodeStatus(): Promise<NodeStatusResult> {
    throw new Error('not used');
  }
  async powerOn(): Promise<void> {}
  async powerOff(): Promise<void> {}
  async powerStatus(): Promise<PowerState> {
    return 'off';
  }
  async getImageSize(options: ImageOperationOptions): Promise<ImageSize> {
    const virtualBytes = this.virtualBytes.get(options.image);
    if (virtualBytes === undefined) throw new ImageNotFoundError(options.image);
    return { virtualBytes, allocatedBytes: 1024 };
  }
  async listImages(): Promise<ImageInfo[]> {
    return [];
  }
}

const profile = createProfile({
  name: 'debian12-small',
  size: { name: 'small', cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 },
  os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
});

const GiB = 1024 ** 3;

async function setUp(failAt?: Failure, storage?: { catalog: MemoryStorageCatalog; checkPermission: (request: PermissionRequest) => boolean }, diskSize?: LeanProvisioningOptions['diskSize']) {
  const inventory = new MemoryInventory();
  const provisioner = new StandInProvisioner();
  provisioner.failAt = failAt;
  const templatePool = (await inventory.createPool({ displayName: 'templates', type: 'template' })).id;
  const vmPool = (await inventory.createPool({ displayName: 'web', type: 'persistent' })).id;
  const workflow = new LeanProvisioning({ inventory, provisioner, ...(storage ? { storage } : {}), ...(diskSize ? { diskSize } : {}) });
  const events: ProgressEvent[] = [];
  workflow.events.on('progress', (event) => events.push(event));
  const run: LeanProvisioningRun = {
    profile,
    templatePool,
    templateHost: 'kvm-host-1',
    templateMachine: { name: 'tpl-debian12', address: { host: '192.0.2.10' } },
    baseImage: 'debian12-base-v1',
    image: 'debian12-small-v1',
    vm: { pool: vmPool, host: 'kvm-host-1', machine: { name: 'web-1', address: { host: '192.0.2.11' } }, type: 'Server', softwareStack: 'LAMP', environment: 'test', reseller: 'r1', customer: 'c1' },
  };
  return { inventory, provisioner, workflow, events, run };
}

async function failure(promise: Promise<unknown>): Promise<ProvkitError & { step?: string; cause?: unknown }> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(ProvkitError.isInstance(error)).toBe(true);
  return error as ProvkitError & { step?: string };
}

describe('lean provisioning workflow', () => {
  it('runs profile -> template -> install -> capture -> release -> VM -> load, with a progress event per step', async () => {
    const { inventory, provisioner, workflow, events, run } = await setUp();
    const { template, vm, load } = await workflow.run(run);
    expect(events.map((event) => event.step)).toEqual([...LEAN_PROVISIONING_STEPS]);
    expect(events.every((event) => event.operation === 'lean-provisioning')).toBe(true);
    expect(template).toMatchObject({ mode: TemplateMode.ReadyForUse, image: 'debian12-small-v1', profile: 'debian12-small' });
    expect(vm).toMatchObject({ template: template.id, image: 'debian12-small-v1', hardware: { cpus: 2, memoryBytes: 268_435_456 }, softwareStack: 'LAMP' });
    expect(load).toMatchObject({ node: 'web-1', image: 'debian12-small-v1' });
    expect(provisioner.calls).toEqual(['load tpl-debian12 debian12-base-v1', 'capture tpl-debian12 debian12-small-v1', 'unload tpl-debian12', 'load web-1 debian12-small-v1']);
    expect([...provisioner.nodes.keys()]).toEqual(['web-1']);
    expect(await inventory.listVms()).toHaveLength(1);
  });

  it.each([
    ['load-template', 'install'],
    ['capture', 'capture'],
  ] as const)('a failure at %s throws naming step %s and retires the template, leaving no image, node or VM', async (failAt, step) => {
    const { inventory, provisioner, workflow, run } = await setUp(failAt);
    const error = await failure(workflow.run(run));
    expect(error).toMatchObject({ code: 'OPERATION_FAILED', step });
    expect(ProvkitError.hasCode(error.cause, 'COMMAND_FAILED')).toBe(true);
    const templates = await inventory.listTemplates();
    expect(templates).toHaveLength(1);
    expect(templates[0]).toMatchObject({ mode: TemplateMode.DoNotUse });
    expect(templates[0]!.image).toBeUndefined();
    expect(await inventory.listVms()).toEqual([]);
    expect([...provisioner.images]).toEqual(['debian12-base-v1']);
    expect([...provisioner.nodes.keys()]).toEqual([]);
  });

  it('a VM load failure removes the VM from the inventory and leaves the template ready for use', async () => {
    const { inventory, provisioner, workflow, run } = await setUp('load-vm');
    const error = await failure(workflow.run(run));
    expect(error).toMatchObject({ code: 'OPERATION_FAILED', step: 'deploy-vm' });
    expect(await inventory.listVms()).toEqual([]);
    expect(await inventory.listTemplates()).toEqual([expect.objectContaining({ mode: TemplateMode.ReadyForUse, image: 'debian12-small-v1' })]);
    expect(provisioner.nodes.has('web-1')).toBe(false);
  });

  it('removes a captured image again when the inventory cannot record it', async () => {
    const { inventory, provisioner, workflow, run } = await setUp();
    const template = await workflow.createTemplate({ profile, pool: run.templatePool, host: 'kvm-host-1' });
    await workflow.installTemplate({ template: template.id, machine: run.templateMachine, baseImage: run.baseImage });
    // The inventory loses the template between capture and recording (an admin deleted it).
    const capture = provisioner.capture.bind(provisioner);
    provisioner.capture = async (options) => {
      const result = await capture(options);
      await inventory.deleteTemplate(template.id);
      return result;
    };
    const error = await failure(workflow.captureTemplate({ template: template.id, machine: run.templateMachine, image: run.image }));
    expect(error.code).toBe('NOT_FOUND');
    expect(provisioner.images.has('debian12-small-v1')).toBe(false);
    expect(provisioner.calls).toContain('deleteImage debian12-small-v1');
  });

  it('refuses to start a ready-for-use template before the provisioner is called', async () => {
    const { provisioner, workflow, run } = await setUp();
    const { template } = await workflow.run(run);
    const calls = provisioner.calls.length;
    await expect(workflow.installTemplate({ template: template.id, machine: { name: 'tpl-again', address: { host: '192.0.2.13' } }, baseImage: run.baseImage })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(workflow.captureTemplate({ template: template.id, machine: { name: 'tpl-again', address: { host: '192.0.2.13' } }, image: 'debian12-small-v2' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(provisioner.calls.length).toBe(calls);
  });

  it('refuses a VM from a template that is not ready for use, and a release without an image', async () => {
    const { inventory, provisioner, workflow, run } = await setUp();
    const template = await workflow.createTemplate({ profile, pool: run.templatePool, host: 'kvm-host-1' });
    await expect(workflow.deployVm({ ...run.vm, template: template.id })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(workflow.releaseTemplate({ template: template.id })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await inventory.listVms()).toEqual([]);
    expect(provisioner.calls).toEqual([]);
  });

  it('refuses bad input before creating anything', async () => {
    const { inventory, provisioner, workflow, run } = await setUp();
    await expect(workflow.run({ ...run, image: 'no revision' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'image' });
    await expect(workflow.run({ ...run, vm: { ...run.vm, machine: { name: 'tpl-debian12', address: { host: '192.0.2.11' } } } })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'vm.machine.name' });
    expect(await inventory.listTemplates()).toEqual([]);
    expect(provisioner.calls).toEqual([]);
  });

  it('deployVm checks the machine address and customization before allocating storage or writing the inventory', async () => {
    const catalog = new MemoryStorageCatalog([{ id: 'pool', capacityBytes: 100 * GiB }]);
    const { inventory, provisioner, workflow, run } = await setUp(undefined, { catalog, checkPermission: () => true });
    const { template } = await workflow.run(run);
    const vmsBefore = await inventory.listVms();
    const volumesBefore = await catalog.listVolumes();
    const callsBefore = provisioner.calls.length;
    const vm = { ...run.vm, template: template.id };
    const machine = { name: 'web-2', address: { host: '192.0.2.12' } };
    const refusals: [string, () => Promise<unknown>][] = [
      ['machine.address', () => workflow.deployVm({ ...vm, machine: { name: 'web-2' } })],
      ['machine.address', () => workflow.deployVm({ ...vm, machine: { name: 'web-2', address: null as never } })],
      ['machine.address.host', () => workflow.deployVm({ ...vm, machine: { name: 'web-2', address: { host: 'a b' } } })],
      ['customization', () => workflow.deployVm({ ...vm, machine, customization: null as never })],
      ['customization.users', () => workflow.deployVm({ ...vm, machine, customization: { users: 'alice' as never } })],
      ['customization.firstBootCommand', () => workflow.deployVm({ ...vm, machine, customization: { firstBootCommand: 'reboot' as never } })],
      ['vm.customer', () => workflow.deployVm({ ...vm, machine, customer: '' })],
    ];
    for (const [field, refused] of refusals) await expect(refused()).rejects.toMatchObject({ code: 'INVALID_INPUT', field });
    expect(await inventory.listVms()).toEqual(vmsBefore);
    expect(await catalog.listVolumes()).toEqual(volumesBefore);
    expect(provisioner.calls.length).toBe(callsBefore);
  });

  it('createTemplate checks its own input before asking the host, with typed errors for what JavaScript callers get wrong', async () => {
    const { inventory, provisioner, run } = await setUp();
    const workflow = new LeanProvisioning({ inventory, provisioner, diskSize: 'base-image' });
    let asked = 0;
    const getImageSize = provisioner.getImageSize.bind(provisioner);
    provisioner.getImageSize = (options) => {
      asked++;
      return getImageSize(options);
    };
    const base = { pool: run.templatePool, host: 'kvm-host-1', baseImage: run.baseImage };
    await expect(workflow.createTemplate({ ...base, profile: undefined as never })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'profile' });
    await expect(workflow.createTemplate({ ...base, profile: { ...profile, size: null as never } })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'profile.size' });
    await expect(workflow.createTemplate({ ...base, profile, host: 'bad host' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'template.node' });
    await expect(workflow.createTemplate({ ...base, profile, pool: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'template.pool' });
    expect(asked).toBe(0);
    expect(await inventory.listTemplates()).toEqual([]);
  });

  describe('disk size', () => {
    it('asks for a resize only where the disk must change: the template machine grows to the profile disk, VMs from its image get none', async () => {
      const { provisioner, workflow, run } = await setUp();
      await workflow.run(run);
      const { cpus, memoryBytes, diskBytes } = profile.size;
      expect(provisioner.sizes).toEqual([{ cpus, memoryBytes, diskBytes }, { cpus, memoryBytes }]);
      expect(provisioner.virtualBytes.get(run.image)).toBe(diskBytes);
    });

    it('runs on a provisioner that cannot grow disks (ESX) when the base image has the profile disk size', async () => {
      const { provisioner, workflow, run } = await setUp();
      provisioner.growsDisks = false;
      provisioner.virtualBytes.set(run.baseImage, profile.size.diskBytes);
      const { vm } = await workflow.run(run);
      expect(vm.hardware.diskBytes).toBe(profile.size.diskBytes);
      expect(provisioner.sizes.map((size) => size?.diskBytes)).toEqual([undefined, undefined]);
    });

    it('on such a provisioner, a smaller base image fails at install, unsupported, and retires the template', async () => {
      const { inventory, provisioner, workflow, run } = await setUp();
      provisioner.growsDisks = false;
      const error = await failure(workflow.run(run));
      expect(error).toMatchObject({ code: 'OPERATION_FAILED', step: 'install' });
      expect(ProvkitError.hasCode(error.cause, 'UNSUPPORTED_FUNCTIONALITY')).toBe(true);
      expect(await inventory.listTemplates()).toEqual([expect.objectContaining({ mode: TemplateMode.DoNotUse })]);
      expect([...provisioner.nodes.keys()]).toEqual([]);
    });

    it("with diskSize: 'base-image', records the base image's size and never asks for a resize, so it runs where disks cannot grow", async () => {
      const { inventory, provisioner, workflow, run, events } = await setUp(undefined, undefined, 'base-image');
      provisioner.growsDisks = false;
      const baseBytes = provisioner.virtualBytes.get(run.baseImage)!;
      const { template, vm } = await workflow.run(run);
      expect(baseBytes).toBeLessThan(profile.size.diskBytes);
      expect((await inventory.getTemplate(template.id)).hardware).toEqual({ cpus: 2, memoryBytes: 268_435_456, diskBytes: baseBytes });
      expect(vm.hardware.diskBytes).toBe(baseBytes);
      expect(provisioner.sizes.map((size) => size?.diskBytes)).toEqual([undefined, undefined]);
      expect(events[0]!.detail).toContain(`disk ${baseBytes} bytes`);
    });

    it("refuses an unknown diskSize, and createTemplate without its base image under 'base-image', before writing", async () => {
      const { inventory, provisioner, run } = await setUp();
      expect(() => new LeanProvisioning({ inventory, provisioner, diskSize: 'grow' as 'profile' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'diskSize' }));
      const workflow = new LeanProvisioning({ inventory, provisioner, diskSize: 'base-image' });
      await expect(workflow.createTemplate({ profile, pool: run.templatePool, host: 'kvm-host-1' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'baseImage' });
      await expect(workflow.createTemplate({ profile, pool: run.templatePool, host: 'kvm-host-1', baseImage: 'debian12-missing-v1' })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
      expect(await inventory.listTemplates()).toEqual([]);
    });

    it('a missing template image is found before a VM is recorded or storage allocated', async () => {
      const catalog = new MemoryStorageCatalog([{ id: 'pool', capacityBytes: 100 * GiB }]);
      const { inventory, provisioner, workflow, run } = await setUp(undefined, { catalog, checkPermission: () => true });
      const { template } = await workflow.run(run);
      await inventory.deleteVm((await inventory.listVms())[0]!.id);
      await catalog.releaseVolume((await catalog.listVolumes())[0]!.id);
      provisioner.virtualBytes.delete(run.image);
      const before = await catalog.listVolumes();
      await expect(workflow.deployVm({ ...run.vm, machine: { name: 'web-2', address: { host: '192.0.2.12' } }, template: template.id })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
      expect(await inventory.listVms()).toEqual([]);
      expect(await catalog.listVolumes()).toEqual(before);
    });
  });

  describe('with storage and a permission hook', () => {
    const pools = () => [
      { id: 'small-pool', capacityBytes: 10 * GiB },
      { id: 'big-pool', capacityBytes: 100 * GiB },
    ];

    it('asks CLOUD_CREATE on the VM pool, then creates the volume in the first pool with room', async () => {
      const asked: PermissionRequest[] = [];
      const catalog = new MemoryStorageCatalog(pools());
      const { workflow, events, run } = await setUp(undefined, { catalog, checkPermission: (request) => (asked.push(request), true) });
      const result = await workflow.run(run);
      expect(asked).toEqual([{ permission: 'CLOUD_CREATE', resourcePool: run.vm.pool, machine: 'web-1' }]);
      expect(result.volume).toMatchObject({ pool: 'big-pool', sizeBytes: profile.size.diskBytes, attachedTo: 'web-1' });
      expect(events.map((event) => event.step)).toEqual(['template-created', 'template-installed', 'template-captured', 'template-node-unloaded', 'template-released', 'storage-allocated', 'vm-created', 'vm-loaded']);
    });

    it('a refused permission changes nothing: no volume, no VM record, no load', async () => {
      const catalog = new MemoryStorageCatalog(pools());
      const { inventory, provisioner, workflow, run } = await setUp(undefined, { catalog, checkPermission: () => false });
      const error = await failure(workflow.run(run));
      expect(error).toMatchObject({ code: 'OPERATION_FAILED', step: 'deploy-vm' });
      expect(ProvkitError.hasCode(error.cause, 'PERMISSION_DENIED')).toBe(true);
      expect(await catalog.listVolumes()).toEqual([]);
      expect(await inventory.listVms()).toEqual([]);
      expect(provisioner.calls.filter((call) => call.includes('web-1'))).toEqual([]);
      expect(await inventory.listTemplates()).toEqual([expect.objectContaining({ mode: TemplateMode.ReadyForUse })]);
    });

    it('a failed VM load releases the volume, and the next VM reuses it', async () => {
      const catalog = new MemoryStorageCatalog(pools());
      const { inventory, provisioner, workflow, run } = await setUp('load-vm', { catalog, checkPermission: () => true });
      await failure(workflow.run(run));
      const [volume] = await catalog.listVolumes();
      expect(volume).toMatchObject({ pool: 'big-pool', sizeBytes: profile.size.diskBytes });
      expect(volume!.attachedTo).toBeUndefined();
      expect(await inventory.listVms()).toEqual([]);
      provisioner.failAt = undefined;
      const [template] = await inventory.listTemplates();
      const deployed = await workflow.deployVm({ ...run.vm, template: template!.id });
      expect(deployed.volume).toEqual({ ...volume, attachedTo: 'web-1' });
      expect(await catalog.listVolumes()).toHaveLength(1);
    });
  });
});
