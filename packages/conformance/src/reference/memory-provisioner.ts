import {
  checkCustomizationShape,
  checkImageName,
  checkName,
  checkNodeSpec,
  checkPositiveInteger,
  BaseProvisioner,
  decideNodeStatus,
  ImageExistsError,
  ImageInUseError,
  ImageNotFoundError,
  InvalidInputError,
  KeyedMutex,
  NodeExistsError,
  NodeNotFoundError,
  NodeNotManagedError,
  OperationFailedError,
  parseImageName,
  throwIfAborted,
  type CaptureOptions,
  type CaptureResult,
  type DeleteImageResult,
  type ImageInfo,
  type ImageOperationOptions,
  type ImageSize,
  type ListImagesOptions,
  type LoadOptions,
  type LoadResult,
  type NodeOperationOptions,
  type NodeStatusOptions,
  type NodeStatusResult,
  type OsModuleV1,
  type PowerOffOptions,
  type PowerState,
  type RetrieveImageOptions,
} from '@provkit/core';
import { runCommand } from './command-log.ts';
import { copyDisk, type MemoryHost, type MemoryNode } from './memory-host.ts';
import { checkChoice, checkTimeout, signalOf } from './reference-input.ts';

/** Configuration of a {@link MemoryProvisioner}. */
export interface MemoryProvisionerOptions {
  host: MemoryHost;
  /** The OS module used when an operation names none. */
  osModule?: OsModuleV1;
}


/**
 * The reference provisioner: every semantic of `ProvisionerV1` on an in-memory host, small
 * enough to read in one sitting. Bad input is refused before anything happens, every step
 * checks the signal, a node and an image are each locked while they change, a failed or
 * aborted load removes what it made, a capture stores a complete image or none.
 */
export class MemoryProvisioner extends BaseProvisioner {
  readonly provider = 'memory';
  readonly host: MemoryHost;
  readonly #osModule: OsModuleV1 | undefined;
  readonly #nodeLocks = new KeyedMutex();
  readonly #imageLocks = new KeyedMutex();

  constructor(options: MemoryProvisionerOptions) {
    super({ retrieveImage: true });
    this.host = options.host;
    this.#osModule = options.osModule;
  }

  #run<T>(command: string, signal: AbortSignal | undefined, effect: () => T): Promise<T> {
    return runCommand(this.events, 'memory-host', command, signal, effect);
  }

  /** The managed node `name`; NODE_NOT_FOUND / NODE_NOT_MANAGED otherwise. */
  #managed(name: string): MemoryNode {
    const node = this.host.nodes.get(name);
    if (!node) throw new NodeNotFoundError(name);
    if (!node.managed) throw new NodeNotManagedError(name);
    return node;
  }

  async nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
    const node = checkNodeSpec(options.node);
    const wanted = options.image === undefined ? {} : { wantedImage: checkImageName('image', options.image) };
    const sshTimeoutMs = options.sshTimeoutMs === undefined ? 10_000 : checkPositiveInteger('sshTimeoutMs', options.sshTimeoutMs);
    throwIfAborted(options.signal, `status of ${node.name}`);
    const found = this.host.nodes.get(node.name);
    const osModule = options.osModule ?? this.#osModule;
    return decideNodeStatus({
      node,
      exists: found !== undefined,
      power: found?.power ?? 'off',
      sshTimeoutMs,
      ...wanted,
      recordedImage: found?.image,
      osModule,
      ...signalOf(options),
    });
  }

  async load(options: LoadOptions): Promise<LoadResult> {
    const node = checkNodeSpec(options.node);
    const image = checkImageName('image', options.image);
    if (options.size !== undefined) {
      checkPositiveInteger('size.cpus', options.size.cpus);
      checkPositiveInteger('size.memoryBytes', options.size.memoryBytes);
    }
    const ifExists = checkChoice('ifExists', options.ifExists, ['replace', 'refuse'], 'replace');
    const osModule = options.osModule ?? this.#osModule;
    if (!osModule) throw new InvalidInputError('osModule', 'load waits for the guest and runs post-load through an OS module');
    if (options.customization !== undefined) {
      if (osModule.checkCustomization) osModule.checkCustomization(options.customization);
      else checkCustomizationShape(options.customization);
    }
    const bootTimeoutMs = checkTimeout('bootTimeoutMs', options.bootTimeoutMs, 60_000);
    const { signal } = options;
    throwIfAborted(signal, `load of ${node.name}`);
    const started = Date.now();
    return this.#nodeLocks.run(node.name, async () => {
      const progress = this.progress('load', { node: node.name, image }, options.onProgress);
      progress.step('started');
      const existing = this.host.nodes.get(node.name);
      if (existing && !existing.managed) throw new NodeNotManagedError(node.name);
      if (existing && ifExists === 'refuse') throw new NodeExistsError(node.name);
      // Checked before a replaced node is removed, so a missing image costs nothing.
      const source = this.host.images.get(image);
      if (!source) throw new ImageNotFoundError(image);
      let step = 'replace-node';
      try {
        if (existing) {
          await this.#remove(node.name, signal);
          progress.step('node-replaced');
        }
        step = 'prepare-disk';
        // Under the image's lock: deleteImage waits until the clone is recorded as a user of it.
        await this.#imageLocks.run(image, () => this.#run(`clone ${image} to disk of ${node.name}`, signal, () => this.host.disks.set(node.name, { ...copyDisk(source.disk), image })), signal);
        progress.step('disk-prepared');
        step = 'define-node';
        await this.#run(`define ${node.name}`, signal, () => this.host.nodes.set(node.name, { name: node.name, managed: true, power: 'off', image, ...(node.address ? { address: node.address } : {}), boots: 0 }));
        progress.step('node-defined');
        step = 'power-on';
        await this.#powerOn(node.name, signal);
        progress.step('powered-on');
        step = 'wait-for-boot';
        await osModule.waitForResponse({ node, timeoutMs: bootTimeoutMs, ...signalOf(options) });
        progress.step('machine-booted');
        step = 'post-load';
        await osModule.postLoad({ node, image, customization: options.customization, ...signalOf(options), onProgress: options.onProgress });
        progress.step('post-load-done');
        throwIfAborted(signal, `load of ${node.name}`);
      } catch (error) {
        // Clean up without the signal: an aborted load must still remove what it made. Every
        // step above throws AbortedError once the signal has fired, so the cause says so.
        const cleanup = await this.#remove(node.name, undefined).then(() => undefined, (failure: unknown) => failure);
        progress.step('load-failed');
        throw new OperationFailedError('load', step, error, cleanup);
      }
      progress.step('load-done');
      return { node: node.name, image, ...(node.address ? { address: { host: node.address.host, port: node.address.port ?? 22 } } : {}), durationMs: Date.now() - started };
    }, signal);
  }

  /** Powers off and removes the node's definition and disk; nothing to remove is fine. */
  async #remove(name: string, signal: AbortSignal | undefined): Promise<{ poweredOff: boolean; removed: boolean }> {
    const node = this.host.nodes.get(name);
    if (!node && !this.host.disks.has(name)) return { poweredOff: false, removed: false };
    const poweredOff = node?.power === 'on';
    await this.#run(`destroy ${name} and delete its disk`, signal, () => {
      this.host.nodes.delete(name);
      this.host.disks.delete(name);
    });
    return { poweredOff, removed: true };
  }

  async #powerOn(name: string, signal: AbortSignal | undefined): Promise<void> {
    const node = this.#managed(name);
    if (node.power === 'on') return;
    await this.#run(`start ${name}`, signal, () => void (node.power = 'on'));
  }

  async capture(options: CaptureOptions): Promise<CaptureResult> {
    const node = checkNodeSpec(options.node);
    const image = checkImageName('image', options.image);
    const endState = checkChoice('endState', options.endState, ['off', 'on', 'reboot'], 'off');
    const osModule = options.osModule ?? this.#osModule;
    if (!options.skipPreCapture && !osModule) throw new InvalidInputError('osModule', 'capture generalizes through an OS module; pass skipPreCapture for an ungeneralized copy');
    if (!options.skipPreCapture && !node.address) throw new InvalidInputError('node.address', 'capture generalizes the guest over SSH; pass skipPreCapture for an ungeneralized copy');
    const { signal } = options;
    throwIfAborted(signal, `capture of ${node.name}`);
    const started = Date.now();
    // Node, then image: the order load takes them in, so the two never deadlock.
    return this.#nodeLocks.run(node.name, () => this.#imageLocks.run(image, async () => {
      const progress = this.progress('capture', { node: node.name, image }, options.onProgress);
      progress.step('started');
      const found = this.#managed(node.name);
      if (this.host.images.has(image)) throw new ImageExistsError(image);
      try {
        if (!options.skipPreCapture) {
          await osModule!.preCapture({ node, endState: 'off', ...signalOf(options), onProgress: options.onProgress });
          progress.step('pre-capture-done');
        }
        if (found.power === 'on') await this.#run(`destroy ${node.name}`, signal, () => void (found.power = 'off'));
        progress.step('powered-off');
        const disk = this.host.disks.get(node.name)!;
        // The copy is complete before it gets its name: the library never holds half an image.
        const copy = { disk: copyDisk(disk), virtualBytes: this.host.images.get(disk.image)!.virtualBytes };
        await this.#run(`copy disk of ${node.name} to ${image}`, signal, () => this.host.images.set(image, copy));
        progress.step('image-stored');
        if (endState !== 'off') {
          await this.#powerOn(node.name, undefined);
          progress.step('powered-on');
        }
      } catch (error) {
        progress.step('capture-failed');
        throw new OperationFailedError('capture', 'capture', error);
      }
      progress.step('capture-done');
      const { virtualBytes } = this.host.images.get(image)!;
      return { image, sizeBytes: virtualBytes, virtualBytes, durationMs: Date.now() - started };
    }, signal), signal);
  }

  async unload(options: NodeOperationOptions): Promise<void> {
    const { name } = checkNodeSpec(options.node);
    throwIfAborted(options.signal, `unload of ${name}`);
    await this.#nodeLocks.run(name, async () => {
      const progress = this.progress('unload', { node: name });
      progress.step('started');
      if (this.host.nodes.get(name)?.managed === false) throw new NodeNotManagedError(name);
      const { poweredOff, removed } = await this.#remove(name, options.signal);
      if (poweredOff) progress.step('powered-off');
      if (!removed) return;
      progress.step('node-removed');
      progress.step('unload-done');
    }, options.signal);
  }

  async powerOn(options: NodeOperationOptions): Promise<void> {
    const { name } = checkNodeSpec(options.node);
    throwIfAborted(options.signal, `power-on of ${name}`);
    await this.#nodeLocks.run(name, () => this.#powerOn(name, options.signal), options.signal);
  }

  async powerOff(options: PowerOffOptions): Promise<void> {
    const { name } = checkNodeSpec(options.node);
    const mode = checkChoice('mode', options.mode, ['graceful', 'hard'], 'graceful');
    checkTimeout('timeoutMs', options.timeoutMs, 120_000);
    throwIfAborted(options.signal, `power-off of ${name}`);
    await this.#nodeLocks.run(name, async () => {
      const node = this.#managed(name);
      // The in-memory guest obeys the power button at once, so graceful needs no wait.
      await this.#run(`stop ${name} (${mode})`, options.signal, () => void (node.power = 'off'));
    }, options.signal);
  }

  async powerStatus(options: NodeOperationOptions): Promise<PowerState> {
    const { name } = checkNodeSpec(options.node);
    throwIfAborted(options.signal, `power status of ${name}`);
    const node = this.host.nodes.get(name);
    if (!node) throw new NodeNotFoundError(name);
    return node.power;
  }

  override async getCurrentImage(options: NodeOperationOptions): Promise<string | undefined> {
    const { name } = checkNodeSpec(options.node);
    throwIfAborted(options.signal, `current image of ${name}`);
    const found = this.host.nodes.get(name);
    if (!found) throw new NodeNotFoundError(name);
    return found.image;
  }

  async getImageSize(options: ImageOperationOptions): Promise<ImageSize> {
    const image = checkImageName('image', options.image);
    throwIfAborted(options.signal, `size of ${image}`);
    const found = this.host.images.get(image);
    if (!found) throw new ImageNotFoundError(image);
    return { virtualBytes: found.virtualBytes, allocatedBytes: found.virtualBytes };
  }

  async listImages(options: ListImagesOptions = {}): Promise<ImageInfo[]> {
    const base = options.base === undefined ? undefined : checkName('base', options.base);
    throwIfAborted(options.signal, 'image list');
    return [...this.host.images]
      .map(([name, image]) => ({ ...parseImageName('image', name), format: 'memory', virtualBytes: image.virtualBytes, allocatedBytes: image.virtualBytes }))
      .filter((image) => base === undefined || image.base === base);
  }

  async deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult> {
    const image = checkImageName('image', options.image);
    throwIfAborted(options.signal, `delete of ${image}`);
    return this.#imageLocks.run(image, async () => {
      if (!this.host.images.has(image)) return { deleted: false };
      const users = this.host.usersOf(image);
      if (users.length > 0) throw new ImageInUseError(image, users);
      await this.#run(`delete image ${image}`, options.signal, () => this.host.images.delete(image));
      return { deleted: true };
    }, options.signal);
  }

  override async retrieveImage(options: RetrieveImageOptions): Promise<void> {
    const image = checkImageName('image', options.image);
    if (!(options.from instanceof MemoryProvisioner)) throw new InvalidInputError('from', 'expected another MemoryProvisioner');
    if (options.from.host === this.host) throw new InvalidInputError('from', 'is this same library');
    const source = options.from.host;
    throwIfAborted(options.signal, `retrieval of ${image}`);
    await this.#imageLocks.run(image, async () => {
      if (this.host.images.has(image)) throw new ImageExistsError(image);
      const found = source.images.get(image);
      if (!found) throw new ImageNotFoundError(image);
      const copy = { disk: copyDisk(found.disk), virtualBytes: found.virtualBytes };
      await this.#run(`copy ${image} from another library`, options.signal, () => this.host.images.set(image, copy));
    }, options.signal);
  }
}
