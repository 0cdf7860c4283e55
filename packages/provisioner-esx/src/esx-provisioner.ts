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
  ImageExistsError,
  ImageNotFoundError,
  InvalidInputError,
  InvalidStateError,
  KeyedMutex,
  mapConcurrent,
  NodeExistsError,
  NodeNotFoundError,
  NodeNotManagedError,
  OperationFailedError,
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
  type NodeAddress,
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
import type { EsxDriver, EsxLeftover, EsxNodeFacts, LoadOperation } from './esx-driver.ts';
import { renewWhileRunning } from './lease-renewal.ts';
import { isBusyFault } from './translation/faults.ts';
import { newOperation } from './vsphere/ownership-record.ts';
import { checkPartialSize, memoryMB, checkSettings, type EsxProvisionerOptions, type EsxSettings } from './esx-options.ts';
import { VimCmdDriver } from './vim-cmd/vim-cmd-driver.ts';
import { VimDriver } from './vsphere/vim-driver.ts';

/** Bound on the calls that undo a failed operation (they run even after an abort). */
const CLEANUP_TIMEOUT_MS = 300_000;

/** `providerOptions.esx.preCaptureTimeoutMs` of a capture, validated. */
function preCaptureBound(providerOptions: Record<string, Record<string, unknown>> | undefined): number | undefined {
  const value = providerOptions?.['esx']?.['preCaptureTimeoutMs'];
  return value === undefined ? undefined : checkPositiveInteger('providerOptions.esx.preCaptureTimeoutMs', value);
}

function signalOf(options: { signal?: AbortSignal | undefined }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

/** The error for a node whose load runs in another operation (retryable: it ends, or its lease passes). */
function busy(name: string, facts: EsxNodeFacts): ConflictError {
  return new ConflictError(`node ${name} is being loaded by another operation (${facts.operation?.id ?? 'unrecorded'} of ${facts.operation?.owner ?? 'an unknown orchestrator'}); retry once it ended`);
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
    return this.#locks.run(`node:${node.name}`, async () => {
      const started = Date.now();
      const call = signalOf(options);
      // Checks that change nothing: a failure here leaves nothing to undo.
      const info = await this.driver.imageInfo(image, call);
      if (info === undefined) throw new ImageNotFoundError(image);
      if (size.diskBytes !== undefined && size.diskBytes !== info.virtualBytes) {
        if (size.diskBytes < info.virtualBytes) throw new InvalidInputError('size.diskBytes', `${size.diskBytes} bytes is below the image's ${info.virtualBytes}`);
        throw new UnsupportedFunctionalityError('growing the system disk at load', 'the esx provisioner');
      }
      // An existing VM of that name is replaced only when provkit made it (its marker) and the caller allows it.
      const existing = await this.driver.nodeFacts(node.name, call);
      if (existing !== undefined) {
        if (existing.isTemplate) throw new InvalidStateError(`${node.name} is a template (an image), not a node`);
        if (!existing.managed) throw new NodeNotManagedError(node.name);
        // Another orchestrator's load of this node runs: its VM is not this load's to replace.
        if (existing.operation?.alive) throw busy(node.name, existing);
        // A dead load's leftover is no node: it goes whatever ifExists says.
        if (ifExists === 'refuse' && existing.operation?.state !== 'loading') throw new NodeExistsError(node.name);
      }
      const operation: LoadOperation = newOperation(this.settings.leaseMs);

      const osModule = this.#osModule(options.osModule);
      const progress = this.progress('load', { node: node.name, image }, options.onProgress);
      progress.step('started', `${diskMode} clone of template ${image}`);
      let step = 'replace-node';
      let created = false;
      let stopRenewal: (() => void) | undefined;
      try {
        if (existing !== undefined) {
          // As VCL's load: the old node goes (powered off hard, destroyed with its own files), whatever it ran.
          await this.#destroyFound(node.name, existing, call);
          const leftover = existing.operation?.state === 'loading';
          progress.step('node-replaced', leftover
            ? `removed the leftover of a load that died (operation ${existing.operation?.id ?? 'unrecorded'}, ${existing.operation?.owner ?? 'unknown orchestrator'})`
            : `destroyed the ${existing.power} node provkit had made from ${existing.image ?? 'an unrecorded image'}`);
        }
        step = 'clone';
        await this.#locks.run(`image:${image}`, () =>
          this.driver.createNode({ node: node.name, image, diskMode, operation }, call),
        options.signal);
        created = true;
        const renewLease = this.driver.renewLease?.bind(this.driver);
        if (renewLease) {
          stopRenewal = renewWhileRunning({
            leaseMs: operation.leaseMs,
            renew: (signal) => this.#vmTasks.run(node.name, () => renewLease(node.name, operation, { signal }), signal),
            // The load's own tasks on its VM (power-on, reconfiguration) can hold it: retried soon.
            isBusy: isBusyFault,
            onFailure: (error, { lapsed }) =>
              this.events.emit('warning', {
                message: `renewing the lease of the load of ${node.name} failed (${error instanceof Error ? error.message : String(error)}); ${lapsed ? 'the VM stayed busy until the lease ran out (other orchestrators may take the load for dead); ' : ''}retried at the next renewal`,
                operation: 'load',
                node: node.name,
              }),
          });
        }
        progress.step('disk-prepared', `${diskMode} clone`);
        if (size.cpus !== undefined || size.memoryBytes !== undefined) {
          step = 'size';
          await this.#vmTasks.run(node.name, () => this.driver.resizeNode(node.name, { ...(size.cpus ? { cpus: size.cpus } : {}), ...(size.memoryBytes ? { memoryMB: memoryMB(size.memoryBytes) } : {}) }, call), options.signal);
        }
        progress.step('node-defined', size.cpus || size.memoryBytes ? `cpus ${size.cpus ?? 'as image'}, memory ${size.memoryBytes ?? 'as image'} bytes` : 'hardware as the image');

        step = 'power-on';
        // A new machine answers at this address: whatever was learned about the old one goes.
        if (osModule && node.address) await osModule.forgetNode?.({ node, ...call });
        await this.#vmTasks.run(node.name, () => this.driver.powerOn(node.name, call), options.signal);
        progress.step('powered-on');

        step = 'wait-for-tools';
        const guest = await this.driver.waitForGuest(node.name, { ...call, timeoutMs: this.settings.toolsTimeoutMs });
        const address: Required<NodeAddress> = node.address ? { host: node.address.host, port: node.address.port ?? 22 } : { host: guest.ipAddress, port: 22 };
        progress.step('machine-booted', `VMware Tools running, IP ${guest.ipAddress}`);

        if (osModule && node.address) {
          step = 'wait-for-ssh';
          await osModule.waitForResponse({ node, timeoutMs: bootTimeoutMs, ...call });
          step = 'post-load';
          await osModule.postLoad({ node, image, customization: options.customization, onProgress: options.onProgress, ...call });
          progress.step('post-load-done');
        } else if (osModule) {
          // The Tools address is reported, but SSH and post-load go only to an address the caller gave
          // (a customization without one was refused above).
          this.events.emit('warning', { message: 'no node address: SSH wait and post-load skipped', operation: 'load', node: node.name });
        }
        step = 'record-ready';
        stopRenewal?.();
        await this.#vmTasks.run(node.name, async () => this.driver.markReady?.(node.name, operation, call), options.signal);
        progress.step('load-done');
        return { node: node.name, image, address, durationMs: Date.now() - started };
      } catch (error) {
        stopRenewal?.();
        // Nothing was made (the back end removes what a clone it gave up on made): a name
        // taken meanwhile or a template gone meanwhile is the same error as the pre-checks'.
        if (!created && (ProvkitError.hasCode(error, 'NODE_EXISTS') || ProvkitError.hasCode(error, 'IMAGE_NOT_FOUND'))) throw error;
        if (!created) throw new OperationFailedError('load', step, error);
        let cleanupError: unknown;
        const bound = { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) };
        // Only the VM this load made (its operation id): a VM another orchestrator made under
        // this name meanwhile is left alone.
        const outcome = await (this.driver.destroyOwned ? this.driver.destroyOwned(node.name, operation.id, bound) : this.driver.destroyNode(node.name, bound).then(() => 'destroyed' as const)).catch((failure: unknown) => {
          cleanupError = failure;
          return undefined;
        });
        const undone = outcome === 'destroyed' ? 'destroyed the node it created' : outcome === 'not-ours' ? 'the VM of that name is another operation\'s: left alone' : outcome === 'absent' ? 'its node was already gone' : 'cleanup failed';
        progress.step('load-failed', `at ${step}; ${undone}`);
        throw new OperationFailedError('load', step, error, cleanupError);
      }
    }, options.signal);
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
      this.#locks.run(`image:${image}`, async () => {
        const started = Date.now();
        if ((await this.driver.imageInfo(image, call)) !== undefined) throw new ImageExistsError(image);
        const facts = await this.driver.nodeFacts(node.name, call);
        if (facts === undefined) throw new NodeNotFoundError(node.name);
        if (facts.isTemplate) throw new InvalidStateError(`${node.name} is a template, not a node`);
        if (facts.operation?.alive) throw busy(node.name, facts);
        if (facts.operation?.state === 'loading') throw new InvalidStateError(`${node.name} is the leftover of a load that died (operation ${facts.operation.id ?? 'unrecorded'}): unload it or load it again`);
        if (osModule && facts.power !== 'on') throw new InvalidStateError(`node ${node.name} is ${facts.power}: it cannot be generalized (power it on, or pass skipPreCapture: true for an ungeneralized copy)`);
        // Generalizing goes over SSH: at the given address, else the one VMware Tools report (discoversAddress).
        const address = node.address ?? (facts.ipAddress ? { host: facts.ipAddress, port: 22 } : undefined);
        if (osModule && !address) throw new InvalidInputError('node.address', `capture of ${node.name} generalizes it over SSH, which needs its address, and VMware Tools report none (give node.address, or pass skipPreCapture: true for an ungeneralized copy)`);
        const progress = this.progress('capture', { node: node.name, image }, options.onProgress);
        progress.step('started');
        let step = 'pre-capture';
        try {
          if (osModule) {
            // The shutdown bound is not the OS module's: generalizing (Sysprep) takes far longer
            // than a shutdown, and the module knows its own bound.
            // address: checked above (no OS module capture without one).
            await osModule.preCapture({ node: { ...node, address: address! }, endState: 'off', timeoutMs: preCaptureTimeoutMs, onProgress: options.onProgress, ...call });
            progress.step('pre-capture-done');
          } else if (facts.power !== 'off') {
            await this.#powerOff(node.name, facts.toolsRunning ? 'graceful' : 'hard', shutdownTimeoutMs, options.signal);
          }
          step = 'wait-for-power-off';
          await this.driver.waitForPowerOff(node.name, { ...call, timeoutMs: shutdownTimeoutMs });
          progress.step('powered-off');
          step = 'copy-to-template';
          const operation = newOperation(this.settings.leaseMs);
          const size = await this.driver.captureNode(node.name, image, { ...call, operation });
          progress.step('image-stored', `template ${image}, ${size.allocatedBytes} bytes in files`);
          if (endState !== 'off') {
            step = 'power-on';
            await this.driver.powerOn(node.name, call);
            progress.step('powered-on');
          }
          progress.step('capture-done');
          return { image, sizeBytes: size.allocatedBytes, virtualBytes: size.virtualBytes, durationMs: Date.now() - started };
        } catch (error) {
          progress.step('capture-failed', `at ${step}`);
          if (ProvkitError.hasCode(error, 'IMAGE_EXISTS')) throw error;
          throw new OperationFailedError('capture', step, error);
        }
      }, options.signal),
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
