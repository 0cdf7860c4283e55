import {
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
  UnsupportedFunctionalityError,
  checkCustomizationShape,
  checkName,
  checkNode,
  checkPositiveInteger,
  parseImageName,
  sh,
  throwIfAborted,
  type CaptureOptions,
  type CaptureResult,
  type CommandEvent,
  type DeleteImageResult,
  type ImageInfo,
  type ImageOperationOptions,
  type ImageSize,
  type ListImagesOptions,
  type LoadOptions,
  type LoadResult,
  type LoadStep,
  type NodeOperationOptions,
  type NodeSpec,
  type NodeStatusOptions,
  type NodeStatusResult,
  type OsModuleV1,
  type PowerOffOptions,
  type PowerState,
  type SizeSpec,
} from '@provkit/core';
import { convertArgv, createOverlayArgv, imageNameOfFile, imagePath, nodeFiles, partialImagePath, startScript, type MachineSpec, type NodeFiles } from './qemu-commands.ts';
import { checkConfig, sshAddress, checkSize, type QemuProvisionerConfig, type ResolvedConfig } from './qemu-config.ts';
import { QemuHost } from './qemu-host.ts';


/**
 * A provkit provisioner for plain QEMU, without libvirt: each node is a daemonized
 * `qemu-system-x86_64` (TCG, direct kernel boot, user networking forwarding SSH from
 * `node.address.port`) on a qcow2 overlay of a library image. Written only against the
 * public API of `@provkit/core`, as any third-party provisioner would be.
 *
 * Host requirements: `qemu-system-x86_64`, `qemu-img` and `socat` (for QMP).
 */
export class QemuProvisioner extends BaseProvisioner {
  readonly provider = 'qemu';
  readonly #host: QemuHost;
  readonly #config: ResolvedConfig;
  readonly #osModule: OsModuleV1 | undefined;
  readonly #locks = new KeyedMutex();
  readonly #forwardCommand = (event: CommandEvent): void => void this.events.emit('command', event);

  constructor(config: QemuProvisionerConfig) {
    super({ linkedClones: true, fullClones: false });
    this.#config = checkConfig(config);
    this.#osModule = config.osModule;
    this.#host = new QemuHost(config.host);
    this.#host.runner.events.on('command', this.#forwardCommand);
  }

  async load(options: LoadOptions): Promise<LoadResult> {
    const name = checkNode('node', options.node).name;
    const address = sshAddress(options.node);
    const { name: image } = parseImageName('image', options.image);
    const size = checkSize('size', options.size ?? this.#config.defaultSize);
    if (options.diskMode === 'full') throw new UnsupportedFunctionalityError("diskMode 'full'", 'the qemu example provisioner');
    const ifExists = options.ifExists ?? 'replace';
    if (ifExists !== 'replace' && ifExists !== 'refuse') throw new InvalidInputError('ifExists', 'must be replace or refuse');
    const osModule = options.osModule ?? this.#osModule;
    if (!osModule) throw new InvalidInputError('osModule', 'load needs an OS module to wait for the guest and run post-load');
    if (options.customization !== undefined) {
      checkCustomizationShape(options.customization);
      osModule.checkCustomization?.(options.customization);
    }
    const bootTimeoutMs = options.bootTimeoutMs === undefined ? this.#config.bootTimeoutMs : checkPositiveInteger('bootTimeoutMs', options.bootTimeoutMs);
    const { signal } = options;
    throwIfAborted(signal, `load of ${name}`);
    const node: NodeSpec = { ...options.node, address };
    const files = this.#files(name);
    const started = Date.now();
    return this.#locks.run(`node:${name}`, async () => {
      const source = imagePath(this.#config.libraryDir, image);
      if (!(await this.#host.fileExists(source, signal))) throw new ImageNotFoundError(image, this.#config.libraryDir);
      if (size.diskBytes !== undefined && size.diskBytes < (await this.#host.imageInfo(source, signal)).virtualBytes) {
        throw new InvalidInputError('size.diskBytes', `is smaller than image ${image}`);
      }
      // VCL's load replaces a node provkit made, whatever it ran; anything else is not ours to touch.
      const presence = await this.#host.presence(files, signal);
      if (presence === 'foreign') throw new NodeNotManagedError(name);
      if (presence === 'managed' && ifExists === 'refuse') throw new NodeExistsError(name);
      const progress = this.progress('load', { node: name, image }, options.onProgress);
      progress.step('started');
      let step: LoadStep = 'node-replaced';
      try {
        if (presence === 'managed') {
          await this.#destroy(files);
          progress.step(step);
        }
        step = 'disk-prepared';
        await this.#host.runner.run(['mkdir', '-p', files.dir], { signal });
        // The marker first: whatever this load leaves behind is provkit's, so a later load or unload may remove it.
        await this.#host.runner.writeFile(files.marker, 'provkit node\n', { signal });
        await this.#host.runner.run(createOverlayArgv(source, files.disk, size.diskBytes), { signal });
        progress.step(step);
        step = 'node-defined';
        await this.#host.runner.writeFile(files.startScript, startScript(this.#machine(name, size, address.port)), { mode: 0o755, signal });
        await this.#host.runner.writeFile(files.imageRecord, `${image}\n`, { signal });
        // A generalized image boots with new host keys: the OS module forgets the old machine's.
        await osModule.forgetNode?.({ node, signal });
        progress.step(step);
        step = 'powered-on';
        await this.#host.start(files, signal);
        progress.step(step);
        step = 'machine-booted';
        await osModule.waitForResponse({ node, timeoutMs: bootTimeoutMs, signal });
        progress.step(step);
        step = 'post-load-done';
        await osModule.postLoad({ node, image, customization: options.customization, onProgress: options.onProgress, signal });
        progress.step(step);
        // An abort that arrived with the last step still undoes the load: the caller gave up on it.
        throwIfAborted(signal, `load of ${name}`);
      } catch (error) {
        const cleanupError = await this.#destroy(files).then(() => undefined, (failure: unknown) => failure);
        progress.step('load-failed', `at ${step}`);
        throw new OperationFailedError('load', step, error, cleanupError);
      }
      progress.step('load-done');
      return { node: name, image, address, durationMs: Date.now() - started };
    }, signal);
  }

  /** VCL's node_status: power from the host, the rest decided by core's `decideNodeStatus` through the OS module. */
  async nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
    const name = checkNode('node', options.node).name;
    const wantedImage = options.image === undefined ? undefined : parseImageName('image', options.image).name;
    const sshTimeoutMs = checkPositiveInteger('sshTimeoutMs', options.sshTimeoutMs ?? 10_000);
    const { signal } = options;
    throwIfAborted(signal, `status of ${name}`);
    const files = this.#files(name);
    const power = await this.#host.power(files, signal);
    const recordedImage = power === 'on' ? await this.#recordedImage(files, signal) : undefined;
    const osModule = options.osModule ?? this.#osModule;
    return decideNodeStatus({
      node: options.node,
      exists: power !== undefined,
      power: power ?? 'off',
      sshTimeoutMs,
      recordedImage,
      wantedImage,
      osModule,
      signal,
    });
  }

  /**
   * Generalizes (OS module) and waits for QEMU to exit, or, for an explicitly ungeneralized copy
   * (`skipPreCapture`), powers a running node off as `powerOff` does; then flattens the overlay
   * into the library under a temporary name and renames it.
   */
  async capture(options: CaptureOptions): Promise<CaptureResult> {
    const name = checkNode('node', options.node).name;
    const { name: image } = parseImageName('image', options.image);
    const endState = options.endState ?? 'off';
    if (!['on', 'off', 'reboot'].includes(endState)) throw new InvalidInputError('endState', `${JSON.stringify(endState)} is not on, off or reboot`);
    const shutdownTimeoutMs = checkPositiveInteger('shutdownTimeoutMs', options.shutdownTimeoutMs ?? 120_000);
    if (options.skipPreCapture !== undefined && typeof options.skipPreCapture !== 'boolean') throw new InvalidInputError('skipPreCapture', 'must be true or false');
    const osModule = options.skipPreCapture ? undefined : (options.osModule ?? this.#osModule);
    if (!options.skipPreCapture) {
      if (!osModule) throw new InvalidInputError('osModule', 'capture needs an OS module for preCapture (or skipPreCapture)');
      sshAddress(options.node); // generalizing goes over SSH: refused without an address
    }
    const { node, signal } = options;
    throwIfAborted(signal, `capture of ${name}`);
    const files = this.#files(name);
    const started = Date.now();
    return this.#locks.runAll([`node:${name}`, `image:${image}`], async () => {
      const power = await this.#managedPower(files, name, signal);
      const target = imagePath(this.#config.libraryDir, image);
      if (await this.#host.fileExists(target, signal)) throw new ImageExistsError(image, this.#config.libraryDir);
      const partial = partialImagePath(this.#config.libraryDir, image);
      const progress = this.progress('capture', { node: name, image }, options.onProgress);
      progress.step('started');
      let step = 'pre-capture-done';
      try {
        // Always ask for `off`: the disk is copied from a stopped machine; endState applies after.
        if (osModule) {
          await osModule.preCapture({ node, endState: 'off', timeoutMs: shutdownTimeoutMs, onProgress: options.onProgress, signal });
          progress.step(step);
        }
        step = 'powered-off';
        if (osModule) await this.#host.waitUntilOff(files, shutdownTimeoutMs, signal);
        else if (power === 'on') await this.#powerOff(files, name, shutdownTimeoutMs, signal);
        progress.step(step);
        step = 'image-stored';
        await this.#host.runner.run(convertArgv(files.disk, partial), { signal });
        // `ln` refuses an existing name atomically (mv would replace it), so no half or clobbered image.
        await this.#host.runner.run(sh`ln -T -- ${partial} ${target} && rm -f -- ${partial}`, { signal });
        progress.step(step);
      } catch (error) {
        const cleanupError = await this.#host.runner.run(['rm', '-f', '--', partial]).then(() => undefined, (failure: unknown) => failure);
        progress.step('capture-failed', `at ${step}`);
        throw new OperationFailedError('capture', step, error, cleanupError);
      }
      if (endState !== 'off') {
        await osModule?.forgetNode?.({ node, signal });
        await this.#host.start(files, signal);
        progress.step('powered-on');
      }
      const info = await this.#host.imageInfo(target, signal);
      progress.step('capture-done');
      return { image, sizeBytes: info.allocatedBytes, virtualBytes: info.virtualBytes, durationMs: Date.now() - started };
    }, signal);
  }

  /** Kills the node's QEMU and deletes its directory; unloading nothing succeeds; a directory without provkit's marker is refused. */
  async unload(options: NodeOperationOptions): Promise<void> {
    const name = checkNode('node', options.node).name;
    throwIfAborted(options.signal, `unload of ${name}`);
    await this.#locks.run(`node:${name}`, async () => {
      const files = this.#files(name);
      const presence = await this.#host.presence(files, options.signal);
      if (presence === 'foreign') throw new NodeNotManagedError(name);
      const progress = this.progress('unload', { node: name });
      progress.step('started');
      if (presence === 'absent') return;
      if ((await this.#host.power(files, options.signal)) === 'on') {
        await this.#host.kill(files);
        progress.step('powered-off');
      }
      await this.#destroy(files);
      progress.step('node-removed', files.dir);
      progress.step('unload-done');
    }, options.signal);
  }

  async powerOn(options: NodeOperationOptions): Promise<void> {
    const name = checkNode('node', options.node).name;
    throwIfAborted(options.signal, `power-on of ${name}`);
    const files = this.#files(name);
    await this.#locks.run(`node:${name}`, async () => {
      if ((await this.#managedPower(files, name, options.signal)) === 'off') await this.#host.start(files, options.signal);
    }, options.signal);
  }

  /** Graceful: the ACPI power button through QMP, bounded by `timeoutMs`, then a hard kill. */
  async powerOff(options: PowerOffOptions): Promise<void> {
    const name = checkNode('node', options.node).name;
    const timeoutMs = checkPositiveInteger('timeoutMs', options.timeoutMs ?? 120_000);
    if (options.mode !== undefined && options.mode !== 'graceful' && options.mode !== 'hard') throw new InvalidInputError('mode', 'is neither graceful nor hard');
    throwIfAborted(options.signal, `power-off of ${name}`);
    const files = this.#files(name);
    await this.#locks.run(`node:${name}`, async () => {
      if ((await this.#managedPower(files, name, options.signal)) === 'off') return;
      if (options.mode === 'hard') return this.#host.kill(files);
      await this.#powerOff(files, name, timeoutMs, options.signal);
    }, options.signal);
  }

  /** Answers for any node directory, provkit's or not: reading the power state changes nothing. */
  async powerStatus(options: NodeOperationOptions): Promise<PowerState> {
    const name = checkNode('node', options.node).name;
    throwIfAborted(options.signal, `power status of ${name}`);
    const power = await this.#host.power(this.#files(name), options.signal);
    if (power === undefined) throw new NodeNotFoundError(name);
    return power;
  }

  /** The image recorded on the host when the node was loaded; `undefined` for a node without that record. */
  override async getCurrentImage(options: NodeOperationOptions): Promise<string | undefined> {
    const name = checkNode('node', options.node).name;
    throwIfAborted(options.signal, `current image of ${name}`);
    const files = this.#files(name);
    if ((await this.#host.power(files, options.signal)) === undefined) throw new NodeNotFoundError(name);
    return this.#recordedImage(files, options.signal);
  }

  /** The power state of a node provkit made: `NodeNotFoundError` when there is none, `NodeNotManagedError` when it is someone else's. */
  async #managedPower(files: NodeFiles, name: string, signal: AbortSignal | undefined): Promise<PowerState> {
    const presence = await this.#host.presence(files, signal);
    if (presence === 'foreign') throw new NodeNotManagedError(name);
    const power = presence === 'absent' ? undefined : await this.#host.power(files, signal);
    if (power === undefined) throw new NodeNotFoundError(name);
    return power;
  }

  /** Power button, bounded wait, then a hard kill (with a warning saying so). */
  async #powerOff(files: NodeFiles, name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const graceful = await this.#host.powerOff(files, timeoutMs, signal);
    if (!graceful) this.events.emit('warning', { message: `guest did not power off within ${timeoutMs} ms; killed`, operation: 'powerOff', node: name });
  }

  async #recordedImage(files: NodeFiles, signal: AbortSignal | undefined): Promise<string | undefined> {
    const result = await this.#host.runner.run(['cat', files.imageRecord], { check: false, signal });
    return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
  }

  override async doesImageExist(options: ImageOperationOptions): Promise<boolean> {
    const { name } = parseImageName('image', options.image);
    throwIfAborted(options.signal, `lookup of ${name}`);
    return this.#host.fileExists(imagePath(this.#config.libraryDir, name), options.signal);
  }

  async getImageSize(options: ImageOperationOptions): Promise<ImageSize> {
    const { name } = parseImageName('image', options.image);
    if (!(await this.doesImageExist(options))) throw new ImageNotFoundError(name, this.#config.libraryDir);
    const { virtualBytes, allocatedBytes } = await this.#host.imageInfo(imagePath(this.#config.libraryDir, name), options.signal);
    return { virtualBytes, allocatedBytes };
  }

  async listImages(options: ListImagesOptions = {}): Promise<ImageInfo[]> {
    const base = options.base === undefined ? undefined : checkName('base', options.base);
    throwIfAborted(options.signal, 'image list');
    const listing = await this.#host.runner.run(['ls', '-1', '--', this.#config.libraryDir], { signal: options.signal });
    const images: ImageInfo[] = [];
    for (const name of listing.stdout.split('\n').map(imageNameOfFile)) {
      if (name === undefined) continue;
      const parsed = parseImageName('image', name);
      if (base !== undefined && parsed.base !== base) continue;
      const info = await this.#host.imageInfo(imagePath(this.#config.libraryDir, name), options.signal);
      images.push({ name, base: parsed.base, revision: parsed.revision, format: info.format, virtualBytes: info.virtualBytes, allocatedBytes: info.allocatedBytes });
    }
    return images;
  }

  /** Deletes a library image; refused while a node's overlay is backed by it. */
  async deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult> {
    const { name } = parseImageName('image', options.image);
    throwIfAborted(options.signal, `delete of ${name}`);
    return this.#locks.run(`image:${name}`, async () => {
      if (!(await this.doesImageExist(options))) return { deleted: false };
      const records = await this.#host.runner.run(sh`grep -lxF -- ${name} ${this.#config.nodesDir}/*/image 2>/dev/null`, { check: false });
      const usedBy = records.stdout.split('\n').filter(Boolean).map((path) => path.split('/').at(-2) ?? path);
      if (usedBy.length > 0) throw new ImageInUseError(name, usedBy);
      await this.#host.runner.run(['rm', '-f', '--', imagePath(this.#config.libraryDir, name)]);
      return { deleted: true };
    }, options.signal);
  }

  override async close(): Promise<void> {
    this.#host.runner.events.off('command', this.#forwardCommand);
  }

  #files(name: string): NodeFiles {
    return nodeFiles(this.#config.nodesDir, name);
  }

  #machine(name: string, size: SizeSpec, sshPort: number): MachineSpec {
    const { kernelPath, initrdPath, kernelCmdline, qemuBinary, forwardAddress } = this.#config;
    const { cpus, memoryBytes } = size;
    return { name, files: this.#files(name), cpus, memoryBytes, kernelPath, initrdPath, kernelCmdline, qemuBinary, sshForward: { address: forwardAddress, port: sshPort } };
  }

  /** Kill and delete, never interrupted: it is also the cleanup of a failed or aborted load. */
  async #destroy(files: NodeFiles): Promise<void> {
    await this.#host.kill(files);
    await this.#host.runner.run(['rm', '-rf', '--', files.dir]);
  }
}
