import {
  checkBoolean,
  checkCustomizationShape,
  checkNodeSpec,
  checkOneOf,
  checkOperationOptions,
  checkOptionalObject,
  checkOptionalOsModule,
  checkImageName,
  checkName,
  checkPositiveInteger,
  BaseProvisioner,
  ConflictError,
  decideNodeStatus,
  ImageNotFoundError,
  InvalidInputError,
  InvalidStateError,
  KeyedMutex,
  mapConcurrent,
  NodeNotFoundError,
  NodeNotManagedError,
  ProvkitError,
  throwIfAborted,
  UnsupportedFunctionalityError,
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
  type NodeSpec,
  type NodeStatusEntry,
  type NodeStatusesOptions,
  type NodeStatusOptions,
  type NodeStatusResult,
  type OsModuleV1,
  type PowerOffOptions,
  type PowerState,
} from '@provkit/core';
import { CommandEventForwarder } from '@provkit/runners';
import type { EsxDriver, EsxLeftover, EsxNodeFacts } from './esx-driver.ts';
import { checkPartialSize, checkSettings, type EsxProvisionerOptions, type EsxSettings } from './esx-options.ts';
import { VimCmdDriver } from './vim-cmd/vim-cmd-driver.ts';
import { VimDriver } from './vsphere/vim-driver.ts';
import { captureNode } from './esx-capture.ts';
import { loadNode } from './esx-load.ts';
import { busy, signalOf } from './operation-support.ts';


/** `providerOptions.esx.preCaptureTimeoutMs` of a capture, validated. */
function preCaptureBound(providerOptions: Record<string, Record<string, unknown>> | undefined): number | undefined {
  const value = providerOptions?.['esx']?.['preCaptureTimeoutMs'];
  return value === undefined ? undefined : checkPositiveInteger('providerOptions.esx.preCaptureTimeoutMs', value);
}



/**
 * Provisioner for VMware ESXi and vCenter. Images are templates in a folder; a load clones
 * the node from the image (a linked clone from its root snapshot by default, a full clone on
 * request), sizes it, powers it on and waits for VMware Tools to report running and an IP,
 * then, with an OS module and a node address, for SSH and post-load. A capture makes a new
 * template atomically (temporary name, then rename). Operations on one node and on one image
 * are serialized; different ones run in parallel over one vSphere session.
 */
export class EsxProvisioner extends BaseProvisioner {
  readonly provider = 'esx';
  readonly driver: EsxDriver;
  readonly settings: EsxSettings;
  readonly #locks = new KeyedMutex();
  /**
   * One task at a time on a loading node's VM from this process: the lease renewal's
   * ReconfigVM_Task never runs beside the load's own resize, power-on or ready record (a
   * vCenter refuses a second task on a busy VM with TaskInProgress).
   */
  readonly #vmTasks = new KeyedMutex();

  readonly #onClose: (() => Promise<void> | void) | undefined;
  /** Re-emits the SSH back end's runner commands on {@link events} (the API back end emits its requests itself). */
  readonly #commands: CommandEventForwarder;

  constructor(options: EsxProvisionerOptions) {
    const settings = checkSettings(options);
    const linked = options.api !== undefined;
    super({ linkedClones: linked, fullClones: true, snapshots: false, captureWhileOn: false, retrieveImage: false, discoversAddress: true }, options.events);
    this.settings = settings;
    this.driver = options.api !== undefined ? new VimDriver(options.api, this.events) : new VimCmdDriver(options.ssh!);
    this.#onClose = options.onClose;
    // The host's vim-cmd and vmkfstools commands are this provisioner's command events too, as
    // KVM's virsh commands are; the runner has already redacted any secret from them.
    this.#commands = new CommandEventForwarder(this.events);
    if (options.ssh !== undefined) this.#commands.add(options.ssh.runner);
  }

  #osModule(given: OsModuleV1 | undefined): OsModuleV1 | undefined {
    return checkOptionalOsModule<OsModuleV1>('osModule', given) ?? this.settings.osModule;
  }

  async load(options: LoadOptions): Promise<LoadResult> {
    checkOperationOptions(options);
    const node = checkNodeSpec(options.node);
    const image = checkImageName('image', options.image);
    if (options.size !== undefined) checkPartialSize('size', options.size);
    const size = { ...this.settings.defaultSize, ...options.size };
    const diskMode = options.diskMode === undefined ? (this.driver.supportsLinkedClones ? 'linked' : 'full') : checkOneOf('diskMode', options.diskMode, ['linked', 'full']);
    // Checked now, not when it is first needed after the clone.
    this.#osModule(options.osModule);
    if (diskMode === 'linked' && !this.driver.supportsLinkedClones) throw new UnsupportedFunctionalityError('linked clones', `the ${this.driver.kind} back end`);
    const bootTimeoutMs = options.bootTimeoutMs === undefined ? this.settings.bootTimeoutMs : checkPositiveInteger('bootTimeoutMs', options.bootTimeoutMs);
    const ifExists = options.ifExists ?? 'replace';
    if (ifExists !== 'replace' && ifExists !== 'refuse') throw new InvalidInputError('ifExists', 'must be replace or refuse');
    if (options.customization !== undefined) {
      checkCustomizationShape(options.customization);
      const customizer = this.#osModule(options.osModule);
      // The customization is applied by the OS module over SSH at the node's address: without
      // either it could not be applied, and a load that silently drops it would lie.
      if (!customizer) throw new InvalidInputError('osModule', `node ${node.name} has a customization to apply, which needs an OS module (give one to the load or to the provisioner)`);
      if (!node.address) throw new InvalidInputError('node.address', `node ${node.name} has a customization to apply, which needs the node's address (its SSH)`);
      customizer.checkCustomization?.(options.customization);
    }
    throwIfAborted(options.signal, `load of ${node.name}`);
    // The node lock for the whole load; the image lock (taken second, see capture) only while
    // cloning, so loads of one image run in parallel but never meet a delete or a capture of it.
    return this.#locks.run(
      `node:${node.name}`,
      () =>
        loadNode(
          {
            driver: this.driver,
            settings: this.settings,
            events: this.events,
            progress: (onProgress) => this.progress('load', { node: node.name, image }, onProgress),
            underImageLock: (task, signal) => this.#locks.run(`image:${image}`, task, signal),
            onVm: (task, signal) => this.#vmTasks.run(node.name, task, signal),
            destroyFound: (facts, call) => this.#destroyFound(node.name, facts, call),
          },
          { options, node, image, size, diskMode, ifExists, bootTimeoutMs, osModule: this.#osModule(options.osModule) },
        ),
      options.signal,
    );
  }

  async capture(options: CaptureOptions): Promise<CaptureResult> {
    checkOperationOptions(options);
    const node = checkNodeSpec(options.node);
    const image = checkImageName('image', options.image);
    const endState = options.endState === undefined ? 'off' : checkOneOf('endState', options.endState, ['on', 'off', 'reboot']);
    this.#osModule(options.osModule);
    checkOptionalObject('providerOptions', options.providerOptions);
    const shutdownTimeoutMs = options.shutdownTimeoutMs === undefined ? this.settings.shutdownTimeoutMs : checkPositiveInteger('shutdownTimeoutMs', options.shutdownTimeoutMs);
    const preCaptureTimeoutMs = preCaptureBound(options.providerOptions) ?? this.settings.preCaptureTimeoutMs;
    // No silent ungeneralized image: generalizing needs the OS module and the node's SSH address
    // (given, or discovered below), and only an explicit skipPreCapture captures without them.
    const osModule = options.skipPreCapture ? undefined : this.#osModule(options.osModule);
    if (!options.skipPreCapture) {
      if (!osModule) throw new InvalidInputError('osModule', `capture of ${node.name} generalizes it first, which needs an OS module (or pass skipPreCapture: true for an ungeneralized copy)`);
    }
    throwIfAborted(options.signal, `capture of ${node.name}`);
    const call = signalOf(options);
    // Lock order, everywhere: the node first, then the image (as load does), so a capture and
    // a load of the same node and image can never hold one lock each and wait for the other.
    return this.#locks.run(`node:${node.name}`, () =>
      this.#locks.run(
        `image:${image}`,
        () =>
          captureNode(
            {
              driver: this.driver,
              settings: this.settings,
              progress: (onProgress) => this.progress('capture', { node: node.name, image }, onProgress),
              powerOff: (mode, timeoutMs, signal) => this.#powerOff(node.name, mode, timeoutMs, signal),
            },
            { options, node, image, endState, shutdownTimeoutMs, preCaptureTimeoutMs, osModule },
          ),
        options.signal,
      ),
    options.signal);
  }

  async unload(options: NodeOperationOptions): Promise<void> {
    checkOperationOptions(options);
    const node = checkNodeSpec(options.node);
    throwIfAborted(options.signal, `unload of ${node.name}`);
    await this.#locks.run(`node:${node.name}`, async () => {
      const call = signalOf(options);
      const facts = await this.driver.nodeFacts(node.name, call);
      // Someone else's VM of that name is never destroyed: only provkit's marker allows it.
      if (facts !== undefined && !facts.isTemplate && !facts.managed) throw new NodeNotManagedError(node.name);
      // A load running in another orchestrator owns its VM until it ends (or its lease passes).
      if (facts?.operation?.alive) throw busy(node.name, facts);
      const progress = this.progress('unload', { node: node.name });
      progress.step('started');
      if (facts === undefined) return;
      // destroyNode powers the node off itself: one call, as few requests as before the marker check.
      if (await this.#destroyFound(node.name, facts, call)) {
        if (facts.power !== 'off') progress.step('powered-off', `was ${facts.power}`);
        progress.step('node-removed', 'destroyed with its own files');
        progress.step('unload-done');
      }
    }, options.signal);
  }

  /**
   * Destroys the VM `facts` describe: by its operation id when it has one (a VM another
   * orchestrator put under that name since is not touched: ConflictError), else by name.
   * False when there was none.
   */
  async #destroyFound(name: string, facts: EsxNodeFacts, call: { signal?: AbortSignal }): Promise<boolean> {
    const id = facts.operation?.id;
    if (id === undefined || !this.driver.destroyOwned) return this.driver.destroyNode(name, call);
    const outcome = await this.driver.destroyOwned(name, id, call);
    if (outcome === 'not-ours') throw new ConflictError(`node ${name} was replaced by another operation meanwhile; left alone`);
    return outcome === 'destroyed';
  }

  /**
   * What operations that died left on the endpoint, listed: VMs still `loading` whose load is no
   * longer alive, and temporary copies (`<image>~capture-<hex>`) whose capture is no longer
   * alive; destroyed too with `remove: true`. vSphere API back end only.
   */
  async leftovers(options: { remove?: boolean; signal?: AbortSignal } = {}): Promise<EsxLeftover[]> {
    checkOptionalObject('options', options);
    const remove = options.remove === undefined ? false : checkBoolean('remove', options.remove);
    if (!this.driver.leftovers) throw new UnsupportedFunctionalityError('listing leftovers', `the ${this.driver.kind} back end`);
    return this.driver.leftovers({ remove, ...signalOf(options) });
  }

  async #facts(name: string, signal: AbortSignal | undefined) {
    const facts = await this.driver.nodeFacts(name, signal ? { signal } : {});
    if (facts === undefined) throw new NodeNotFoundError(name);
    if (facts.isTemplate) throw new InvalidStateError(`${name} is a template, not a node`);
    return facts;
  }

  async powerStatus(options: NodeOperationOptions): Promise<PowerState> {
    checkOperationOptions(options);
    return (await this.#facts(checkNodeSpec(options.node).name, options.signal)).power;
  }

  async powerOn(options: NodeOperationOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNodeSpec(options.node);
    await this.#locks.run(`node:${name}`, async () => {
      const facts = await this.#facts(name, options.signal);
      if (facts.power !== 'on') await this.driver.powerOn(name, signalOf(options));
    }, options.signal);
  }

  async powerOff(options: PowerOffOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNodeSpec(options.node);
    const mode = options.mode === undefined ? 'graceful' : checkOneOf('mode', options.mode, ['graceful', 'hard']);
    const timeoutMs = options.timeoutMs === undefined ? this.settings.shutdownTimeoutMs : checkPositiveInteger('timeoutMs', options.timeoutMs);
    await this.#locks.run(`node:${name}`, () => this.#powerOff(name, mode, timeoutMs, options.signal), options.signal);
  }

  async #powerOff(name: string, mode: 'graceful' | 'hard', timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const facts = await this.#facts(name, signal);
    if (facts.power === 'off') return;
    const call = signal ? { signal } : {};
    if (mode === 'graceful') {
      if (!facts.toolsRunning) {
        this.events.emit('warning', { message: `node ${name} has no running VMware Tools to shut it down gracefully; powering it off`, operation: 'powerOff', node: name });
      } else {
        await this.driver.shutdownGuest(name, call);
        try {
          await this.driver.waitForPowerOff(name, { ...call, timeoutMs });
          return;
        } catch (error) {
          if (!ProvkitError.hasCode(error, 'TIMEOUT')) throw error;
          this.events.emit('warning', { message: `node ${name} did not shut down within ${timeoutMs} ms; forcing it off`, operation: 'powerOff', node: name });
        }
        if ((await this.#facts(name, signal)).power === 'off') return;
      }
    }
    await this.driver.powerOff(name, call);
  }

  override async powerReset(options: NodeOperationOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNodeSpec(options.node);
    await this.#locks.run(`node:${name}`, async () => {
      const facts = await this.#facts(name, options.signal);
      if (facts.power === 'on') await this.driver.reset(name, signalOf(options));
      else await this.driver.powerOn(name, signalOf(options));
    }, options.signal);
  }

  async nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
    checkOperationOptions(options);
    const node = checkNodeSpec(options.node);
    const wanted = options.image === undefined ? undefined : checkImageName('image', options.image);
    const sshTimeoutMs = options.sshTimeoutMs === undefined ? 10_000 : checkPositiveInteger('sshTimeoutMs', options.sshTimeoutMs);
    const facts = await this.driver.nodeFacts(node.name, signalOf(options));
    return this.#statusOf(node, facts, { wanted, osModule: options.osModule ?? this.settings.osModule, sshTimeoutMs, signal: options.signal });
  }

  /**
   * The status of many nodes: the facts of every node from one property-collector retrieval
   * (vSphere API back end; the SSH back end asks per node), then the guests probed over SSH,
   * `concurrency` at once.
   */
  override async nodeStatuses(options: NodeStatusesOptions): Promise<NodeStatusEntry[]> {
    if (!Array.isArray(options?.nodes)) throw new InvalidInputError('nodes', 'must be an array of nodes');
    const nodes = options.nodes.map((node) => checkNodeSpec(node));
    const wanted = options.image === undefined ? undefined : checkImageName('image', options.image);
    const sshTimeoutMs = options.sshTimeoutMs === undefined ? 10_000 : checkPositiveInteger('sshTimeoutMs', options.sshTimeoutMs);
    const concurrency = options.concurrency === undefined ? 8 : checkPositiveInteger('concurrency', options.concurrency);
    if (!this.driver.nodesFacts) return super.nodeStatuses(options);
    const all = await this.driver.nodesFacts(signalOf(options));
    const facts = { wanted, osModule: options.osModule ?? this.settings.osModule, sshTimeoutMs, signal: options.signal };
    return mapConcurrent(nodes, concurrency, async (node) => ({ node: node.name, status: await this.#statusOf(node, all.get(node.name), facts) }));
  }

  /** A node's status from the host's facts (undefined: no such VM) and its guest's answer over SSH. */
  async #statusOf(
    node: NodeSpec,
    facts: EsxNodeFacts | undefined,
    guest: { wanted: string | undefined; osModule: OsModuleV1 | undefined; sshTimeoutMs: number; signal: AbortSignal | undefined },
  ): Promise<NodeStatusResult> {
    return decideNodeStatus({
      node,
      exists: facts !== undefined,
      power: facts?.power ?? 'off',
      sshTimeoutMs: guest.sshTimeoutMs,
      notANode: facts?.isTemplate ? `${node.name} is a template, not a node` : undefined,
      recordedImage: facts?.image,
      wantedImage: guest.wanted,
      osModule: guest.osModule,
      signal: guest.signal,
    });
  }

  override async getCurrentImage(options: NodeOperationOptions): Promise<string | undefined> {
    checkOperationOptions(options);
    return (await this.#facts(checkNodeSpec(options.node).name, options.signal)).image;
  }

  async getImageSize(options: ImageOperationOptions): Promise<ImageSize> {
    checkOperationOptions(options);
    const image = checkImageName('image', options.image);
    const info = await this.driver.imageInfo(image, signalOf(options));
    if (info === undefined) throw new ImageNotFoundError(image);
    return { virtualBytes: info.virtualBytes, allocatedBytes: info.allocatedBytes };
  }

  override async doesImageExist(options: ImageOperationOptions): Promise<boolean> {
    checkOperationOptions(options);
    const image = checkImageName('image', options.image);
    return (await this.driver.imageInfo(image, signalOf(options))) !== undefined;
  }

  async listImages(options: ListImagesOptions = {}): Promise<ImageInfo[]> {
    checkOperationOptions(options);
    const base = options.base === undefined ? undefined : checkName('base', options.base);
    const images = await this.driver.listImages(signalOf(options));
    return base === undefined ? images : images.filter((image) => image.base === base);
  }

  async deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult> {
    checkOperationOptions(options);
    const image = checkImageName('image', options.image);
    return this.#locks.run(`image:${image}`, async () => {
      if ((await this.driver.imageInfo(image, signalOf(options))) === undefined) return { deleted: false };
      await this.driver.deleteImage(image, signalOf(options));
      return { deleted: true };
    }, options.signal);
  }

  /** Stops forwarding the SSH back end's command events, closes the back end and calls the `onClose` option. */
  override async close(): Promise<void> {
    this.#commands.stop();
    await this.driver.close();
    await this.#onClose?.();
  }
}
