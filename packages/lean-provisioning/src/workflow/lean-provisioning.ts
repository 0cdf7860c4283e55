import { type Customization, type LoadResult, type NodeSpec, type OsModuleV1, type ProvisionerV1, type SizeSpec, InvalidInputError, InvalidStateError, OperationFailedError, ProvkitError, ProgressReporter, createEmitter, type ProgressEvent, type ProvkitEmitter, checkCustomizationShape, checkImageName, checkName, checkNode, checkObject, checkOperationOptions, checkOptionalObject, describeValue, throwIfAborted } from '@provkit/core';
import type { Inventory } from '../model/inventory.ts';
import type { Profile } from '../model/profile.ts';
import { allocateStorage, type PermissionCheck } from '../model/allocate-storage.ts';
import { checkId, checkNewTemplate, checkNewVm } from '../model/record-input.ts';
import type { StorageCatalog, StorageVolume } from '../model/storage.ts';
import type { MachineHardware, TemplateRecord, VmAssignment, VmRecord } from '../model/records.ts';
import { applyTemplateAction } from '../model/template-lifecycle.ts';
import { TemplateMode } from '../model/template-mode.ts';

/**
 * Progress steps of the lean-provisioning workflow, in order. A workflow given storage also
 * reports `storage-allocated` between `template-released` and `vm-created`.
 */
export const LEAN_PROVISIONING_STEPS = [
  'template-created',
  'template-installed',
  'template-captured',
  'template-node-unloaded',
  'template-released',
  'vm-created',
  'vm-loaded',
] as const;

/** One progress step of the workflow. */
export type LeanProvisioningStep = (typeof LEAN_PROVISIONING_STEPS)[number];

/** The steps {@link LeanProvisioning.run} names when one fails (`OperationFailedError.step`). */
export type LeanProvisioningPhase = 'create-template' | 'install' | 'capture' | 'release' | 'deploy-vm';

/** What the workflow drives. */
export interface LeanProvisioningOptions {
  inventory: Inventory;
  /** The provisioner of the host the template and the VMs run on. */
  provisioner: ProvisionerV1;
  /** The guest's OS module for post-load and generalization; default the provisioner's. */
  osModule?: OsModuleV1;
  /** Where the workflow's `progress` events go (default: a new emitter). */
  events?: ProvkitEmitter;
  /**
   * oVirt-style storage for persistent VMs: before a VM is recorded, `checkPermission` is asked
   * for `CLOUD_CREATE` on the VM's pool and a volume of the template's disk size is attached
   * or created (see `allocateStorage`). Without it, the provisioner's own disks are all there is.
   */
  storage?: { catalog: StorageCatalog; checkPermission: PermissionCheck };
  /**
   * The disk size templates (and so their VMs) get; default `profile`.
   * - `profile`: the profile's disk. The template machine's disk is grown from the base image
   *   at install (KVM does); a provisioner that cannot grow a disk at load (ESX) refuses with
   *   `UnsupportedFunctionalityError` unless the base image already has that size.
   * - `base-image`: the base image's virtual size, read when the template is created and
   *   recorded as its disk, so no load ever asks for a resize (ESX with a base template of
   *   another size than the profile's).
   */
  diskSize?: 'profile' | 'base-image';
}

/** Options every step accepts. */
export interface StepOptions {
  signal?: AbortSignal | undefined;
  /** Receives the workflow's and the provisioner's progress events of this step. */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** Options of {@link LeanProvisioning.createTemplate}. */
export interface CreateTemplateOptions extends StepOptions {
  profile: Profile;
  /** The VM pool (UUID) the template belongs to. */
  pool: string;
  /** The host (stoney cloud's node) it runs on while installed. */
  host: string;
  displayName?: string;
  /** The image it will be installed from; required with `diskSize: 'base-image'`, whose size it gives. */
  baseImage?: string;
}

/** Options of {@link LeanProvisioning.installTemplate}. */
export interface InstallTemplateOptions extends StepOptions {
  template: string;
  /** The machine the template is installed on (its domain name and SSH address). */
  machine: NodeSpec;
  /** In the lab: the base image loaded onto the template machine instead of an ISO install. */
  baseImage: string;
}

/** Options of {@link LeanProvisioning.captureTemplate}. */
export interface CaptureTemplateOptions extends StepOptions {
  template: string;
  machine: NodeSpec;
  /** The new library image `<name>-v<revision>`. */
  image: string;
  /** Keep the template machine defined after the capture (default: unload it). */
  keepMachine?: boolean;
}

/** Options of {@link LeanProvisioning.deployVm}. */
export interface DeployVmOptions extends StepOptions, VmAssignment {
  template: string;
  pool: string;
  host: string;
  /** The machine to load the template's image onto. */
  machine: NodeSpec;
  displayName?: string;
  customization?: Customization;
}

/** Result of {@link LeanProvisioning.deployVm}. */
export interface DeployedVm {
  vm: VmRecord;
  load: LoadResult;
  /** The volume allocated for the VM, when the workflow was given storage. */
  volume?: StorageVolume;
}

/** Options of {@link LeanProvisioning.run}: every step's input, once. */
export interface LeanProvisioningRun extends StepOptions {
  profile: Profile;
  templatePool: string;
  templateHost: string;
  templateMachine: NodeSpec;
  baseImage: string;
  image: string;
  vm: Omit<DeployVmOptions, 'template' | keyof StepOptions>;
}

/** Result of {@link LeanProvisioning.run}. */
export interface LeanProvisioningResult extends DeployedVm {
  template: TemplateRecord;
}

/**
 * stoney cloud's lean provisioning over provkit's contracts: profile → template
 * (`first installation`) → install → generalize and capture → release (`ready for use`) →
 * persistent VM → load. Each step is a method and emits a `progress` event when done.
 *
 * Disk size: every load asks for the template's recorded disk size (`size.diskBytes`) only
 * when it differs from the image's virtual size. The template's captured image has the
 * template's disk size, so VMs made from it are never resized; the template machine is
 * grown from the base image when the recorded size is the profile's and the base image is
 * smaller. For a provisioner that cannot grow disks (ESX), give `diskSize: 'base-image'`.
 *
 * A failed step leaves the inventory saying what is true: an install or capture that fails
 * leaves the template unreleased (no image recorded, or the captured image removed again if
 * it could not be recorded); a VM whose load fails is removed from the inventory (the
 * provisioner already removed what it created). {@link run} also unloads the template
 * machine and retires (`do not use`) the template it created when a later template step fails.
 */
export class LeanProvisioning {
  readonly events: ProvkitEmitter;
  readonly #inventory: Inventory;
  readonly #provisioner: ProvisionerV1;
  readonly #osModule: OsModuleV1 | undefined;
  readonly #storage: LeanProvisioningOptions['storage'];
  readonly #diskSize: 'profile' | 'base-image';

  /** Wires the workflow; an unknown `diskSize` is refused (`InvalidInputError`). */
  constructor(options: LeanProvisioningOptions) {
    if (options.diskSize !== undefined && options.diskSize !== 'profile' && options.diskSize !== 'base-image') {
      throw new InvalidInputError('diskSize', `expected profile or base-image, got ${describeValue(options.diskSize)}`);
    }
    this.#diskSize = options.diskSize ?? 'profile';
    this.#inventory = options.inventory;
    this.#provisioner = options.provisioner;
    this.#osModule = options.osModule;
    this.#storage = options.storage;
    this.events = options.events ?? createEmitter();
  }

  /**
   * Records a template for the profile, in mode `first installation`, with the profile's CPUs
   * and memory and the disk size the workflow's `diskSize` says.
   */
  async createTemplate(options: CreateTemplateOptions): Promise<TemplateRecord> {
    // The whole input first: the host is asked for the base image's size only for valid input.
    checkOperationOptions(options);
    const profile = checkObject<Profile>('profile', options.profile);
    const size = checkObject<SizeSpec>('profile.size', profile.size);
    if (this.#diskSize === 'base-image') {
      if (options.baseImage === undefined) throw new InvalidInputError('baseImage', "is required with diskSize: 'base-image'");
      checkImageName('baseImage', options.baseImage);
    } else if (options.baseImage !== undefined) checkImageName('baseImage', options.baseImage);
    const input = (diskBytes: number | undefined) => ({
      pool: options.pool,
      node: options.host,
      profile: profile.name,
      hardware: { cpus: size.cpus, memoryBytes: size.memoryBytes, diskBytes: diskBytes as number },
      os: profile.os,
      clockOffset: profile.clockOffset,
      ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
    });
    // With `base-image` the disk size comes from the host; any valid size stands in for the check.
    checkNewTemplate(input(this.#diskSize === 'base-image' ? 1 : size.diskBytes));
    let diskBytes = size.diskBytes;
    if (this.#diskSize === 'base-image') diskBytes = (await this.#provisioner.getImageSize({ image: options.baseImage!, ...this.#call(options) })).virtualBytes;
    const template = await this.#inventory.createTemplate(input(diskBytes), this.#call(options));
    this.#reporter(options, template.id).step('template-created', `template ${template.displayName} (${template.id}) in mode "${template.mode}", disk ${diskBytes} bytes`);
    return template;
  }

  /** Boots the template machine with the base image (the lab's stand-in for an ISO install). */
  async installTemplate(options: InstallTemplateOptions): Promise<TemplateRecord> {
    checkOperationOptions(options);
    checkId('template', options.template);
    this.#machine('machine', options.machine);
    checkImageName('baseImage', options.baseImage);
    const template = await this.#inventory.getTemplate(options.template, this.#call(options));
    applyTemplateAction(template.mode, 'start', `template ${template.id}`);
    const size = await this.#loadSize(options.baseImage, template.hardware, options);
    await this.#provisioner.load({
      node: options.machine,
      image: options.baseImage,
      size,
      ...this.#loadExtras(options),
    });
    this.#reporter(options, template.id).step('template-installed', `${options.baseImage} loaded onto ${options.machine.name}`);
    return template;
  }

  /**
   * Generalizes the template machine and captures it as `image` (OS module `preCapture` and
   * provisioner `capture`), records the image, then unloads the machine.
   */
  async captureTemplate(options: CaptureTemplateOptions): Promise<TemplateRecord> {
    checkOperationOptions(options);
    checkId('template', options.template);
    checkNode('machine', options.machine);
    if (options.keepMachine !== undefined && typeof options.keepMachine !== 'boolean') throw new InvalidInputError('keepMachine', 'expected true or false');
    checkImageName('image', options.image);
    const template = await this.#inventory.getTemplate(options.template, this.#call(options));
    applyTemplateAction(template.mode, 'start', `template ${template.id}`);
    const reporter = this.#reporter(options, template.id);
    const captured = await this.#provisioner.capture({ node: options.machine, image: options.image, ...this.#loadExtras(options) });
    let recorded: TemplateRecord;
    try {
      recorded = await this.#inventory.setTemplateImage(template.id, captured.image, this.#call(options));
    } catch (error) {
      // An image nobody knows of would be a leak: remove it again.
      await this.#provisioner.deleteImage({ image: captured.image }).catch((cleanupError: unknown) => {
        throw new OperationFailedError('captureTemplate', 'record-image', error, cleanupError);
      });
      throw error;
    }
    reporter.step('template-captured', `${captured.image} (${captured.sizeBytes} bytes)`);
    if (options.keepMachine !== true) {
      await this.#provisioner.unload({ node: options.machine, ...this.#call(options) });
      reporter.step('template-node-unloaded', options.machine.name);
    }
    return recorded;
  }

  /** `first installation` or `maintenance mode` → `ready for use`; refused until an image is recorded. */
  async releaseTemplate(options: StepOptions & { template: string }): Promise<TemplateRecord> {
    checkOperationOptions(options);
    checkId('template', options.template);
    const template = await this.#inventory.getTemplate(options.template, this.#call(options));
    if (template.image === undefined) throw new InvalidStateError(`Template ${template.id} has no captured image to release`);
    const to = applyTemplateAction(template.mode, 'release', `template ${template.id}`);
    const released = await this.#inventory.setTemplateMode(template.id, { from: template.mode, to, ...this.#call(options) });
    this.#reporter(options, template.id).step('template-released', `mode "${released.mode}"`);
    return released;
  }

  /**
   * Records a persistent VM made from a `ready for use` template and loads the template's
   * image onto its machine. If the load fails, the VM is removed from the inventory again.
   */
  async deployVm(options: DeployVmOptions): Promise<DeployedVm> {
    // The whole input first: nothing is allocated or recorded (and then undone) for bad input.
    checkOperationOptions(options);
    checkId('template', options.template);
    const machine = this.#machine('machine', options.machine);
    if (checkOptionalObject('customization', options.customization) !== undefined) {
      checkCustomizationShape(options.customization!);
      this.#osModule?.checkCustomization?.(options.customization!);
    }
    checkNewVm({
      template: options.template,
      pool: options.pool,
      node: options.host,
      type: options.type,
      reseller: options.reseller,
      customer: options.customer,
      ...(options.softwareStack === undefined ? {} : { softwareStack: options.softwareStack }),
      ...(options.environment === undefined ? {} : { environment: options.environment }),
      ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
    });
    const template = await this.#inventory.getTemplate(options.template, this.#call(options));
    applyTemplateAction(template.mode, 'createVm', `template ${template.id}`);
    if (template.image === undefined) throw new InvalidStateError(`Template ${template.id} has no captured image`);
    // Read before anything is allocated or recorded: a missing image changes nothing.
    const size = await this.#loadSize(template.image, template.hardware, options);
    const { template: templateId, pool, host, displayName, customization, type, softwareStack, environment, reseller, customer } = options;
    let volume: StorageVolume | undefined;
    if (this.#storage) {
      const allocated = await allocateStorage({ ...this.#storage, sizeBytes: template.hardware.diskBytes, machine: machine.name, resourcePool: pool, ...this.#call(options) });
      volume = allocated.volume;
      this.#reporter(options, template.id).step('storage-allocated', `${allocated.reused ? 'reused' : 'created'} volume ${volume.id} in storage pool ${volume.pool}`);
    }
    const release = async (error: unknown, step: string): Promise<never> => {
      if (volume) {
        await this.#storage!.catalog.releaseVolume(volume.id).catch((cleanupError: unknown) => {
          throw new OperationFailedError('deployVm', step, error, cleanupError);
        });
      }
      throw error;
    };
    const vm = await this.#inventory.createVm(
      {
        template: templateId,
        pool,
        node: host,
        type,
        reseller,
        customer,
        ...(softwareStack === undefined ? {} : { softwareStack }),
        ...(environment === undefined ? {} : { environment }),
        ...(displayName === undefined ? {} : { displayName }),
      },
      this.#call(options),
    ).catch((error: unknown) => release(error, 'create-vm'));
    const reporter = this.#reporter(options, vm.id);
    reporter.step('vm-created', `VM ${vm.displayName} (${vm.id}) from template ${template.id}`);
    let load: LoadResult;
    try {
      load = await this.#provisioner.load({
        node: machine,
        image: template.image,
        size,
        ...(customization === undefined ? {} : { customization }),
        ...this.#loadExtras(options),
      });
    } catch (error) {
      // The provisioner removed what it created; the inventory must not keep a VM that is not there.
      await this.#inventory.deleteVm(vm.id).catch((cleanupError: unknown) => {
        throw new OperationFailedError('deployVm', 'load', error, cleanupError);
      });
      return release(error, 'load');
    }
    reporter.step('vm-loaded', `${template.image} on ${machine.name}`);
    return volume ? { vm, load, volume } : { vm, load };
  }

  /**
   * The whole workflow. A failure throws `OperationFailedError` naming the step; a template
   * this run created is retired to `do not use` when its install, capture or release fails.
   */
  async run(options: LeanProvisioningRun): Promise<LeanProvisioningResult> {
    checkOperationOptions(options);
    checkObject('vm', options.vm);
    checkImageName('baseImage', options.baseImage);
    checkImageName('image', options.image);
    checkName('templateMachine.name', options.templateMachine?.name);
    checkName('vm.machine.name', options.vm?.machine?.name);
    if (options.vm.machine.name === options.templateMachine.name) throw new InvalidInputError('vm.machine.name', 'must differ from the template machine');
    const step = { signal: options.signal, onProgress: options.onProgress };
    const created = await this.#step('create-template', () =>
      this.createTemplate({ ...step, profile: options.profile, pool: options.templatePool, host: options.templateHost, baseImage: options.baseImage }),
    );
    let template: TemplateRecord;
    let machineLoaded = false;
    try {
      await this.#step('install', async () => {
        // From here on the machine may exist (a failed load removes its own leftovers; unloading nothing succeeds).
        machineLoaded = true;
        return this.installTemplate({ ...step, template: created.id, machine: options.templateMachine, baseImage: options.baseImage });
      });
      await this.#step('capture', () => this.captureTemplate({ ...step, template: created.id, machine: options.templateMachine, image: options.image }));
      machineLoaded = false;
      template = await this.#step('release', () => this.releaseTemplate({ ...step, template: created.id }));
    } catch (error) {
      throw await this.#retire(created.id, machineLoaded ? options.templateMachine : undefined, error);
    }
    const deployed = await this.#step('deploy-vm', () => this.deployVm({ ...step, ...options.vm, template: template.id }));
    return { template, ...deployed };
  }

  async #step<T>(step: LeanProvisioningPhase, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (ProvkitError.hasCode(error, 'INVALID_INPUT')) throw error;
      throw new OperationFailedError('lean-provisioning', step, error);
    }
  }

  /**
   * Cleans up after a failed template preparation: unloads the template machine (so no
   * domain or disk is orphaned) and retires the template to `do not use`. Returns the error
   * to throw, carrying any cleanup failure.
   */
  async #retire(id: string, machine: NodeSpec | undefined, error: unknown): Promise<unknown> {
    try {
      if (machine) await this.#provisioner.unload({ node: machine });
      const template = await this.#inventory.getTemplate(id);
      if (template.mode !== TemplateMode.DoNotUse) await this.#inventory.setTemplateMode(id, { from: template.mode, to: TemplateMode.DoNotUse });
      return error;
    } catch (cleanupError) {
      const failed = ProvkitError.hasCode(error, 'OPERATION_FAILED') ? error : undefined;
      return new OperationFailedError('lean-provisioning', failed?.step ?? 'template', failed ? failed.cause : error, cleanupError);
    }
  }

  /**
   * The size to load `image` with: the recorded CPUs and memory, and `diskBytes` only when the
   * recorded disk is not the image's virtual size (a resize the provisioner must do, or refuse).
   */
  async #loadSize(image: string, hardware: MachineHardware, options: StepOptions): Promise<SizeSpec> {
    const { virtualBytes } = await this.#provisioner.getImageSize({ image, ...this.#call(options) });
    const size: SizeSpec = { cpus: hardware.cpus, memoryBytes: hardware.memoryBytes };
    if (hardware.diskBytes !== virtualBytes) size.diskBytes = hardware.diskBytes;
    return size;
  }

  /** A machine to load: a valid node, with an address unless the provisioner finds it itself. */
  #machine(field: string, value: unknown): NodeSpec {
    const machine = checkNode(field, value);
    if (machine.address === undefined && !this.#provisioner.capabilities.discoversAddress) {
      throw new InvalidInputError(`${field}.address`, `this provisioner cannot discover the address of ${machine.name}: give one`);
    }
    return machine;
  }

  #call(options: StepOptions): { signal?: AbortSignal } {
    throwIfAborted(options.signal, 'lean provisioning');
    return options.signal ? { signal: options.signal } : {};
  }

  #loadExtras(options: StepOptions): { signal?: AbortSignal; onProgress?: ((event: ProgressEvent) => void) | undefined; osModule?: OsModuleV1 | undefined } {
    return { ...this.#call(options), onProgress: options.onProgress, osModule: this.#osModule };
  }

  #reporter(options: StepOptions, subject: string): ProgressReporter {
    return new ProgressReporter(this.events, { operation: 'lean-provisioning', node: subject }, options.onProgress);
  }
}
