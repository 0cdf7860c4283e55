import {
  checkImageName,
  checkName,
  checkOneOf,
  checkOperationOptions,
  checkOptionalObject,
  checkOptionalOsModule,
  checkPositiveInteger,
  BaseProvisioner,
  decideNodeStatus,
  ImageInUseError,
  InvalidInputError,
  InvalidStateError,
  KeyedMutex,
  mapConcurrent,
  NodeNotFoundError,
  NodeNotManagedError,
  OperationFailedError,
  sh,
  throwIfAborted,
  type CaptureOptions,
  type CaptureResult,
  type ImageInfo,
  type DeleteImageResult,
  type ImageOperationOptions,
  type ImageSize,
  type ListImagesOptions,
  type LoadOptions,
  type LoadResult,
  type NodeOperationOptions,
  type NodeStatusEntry,
  type NodeStatusesOptions,
  type NodeStatusOptions,
  type NodeStatusResult,
  type OsModuleV1,
  type PowerOffOptions,
  type PowerState,
  type RetrieveImageOptions,
  type SizeSpec,
} from '@provkit/core';
import { CommandEventForwarder } from '@provkit/runners';
import { waitForBoot } from './boot-wait.ts';
import { checkNode, type CheckedNode } from './checked-node.ts';
import { DiskDetacher } from './disk-detacher.ts';
import { HostLocks, type HostLock, type HostLockMode } from './host-lock.ts';
import { ImageLibrary } from './image-library.ts';
import { imageLockPath, nodeStatePaths, type IntentRecord } from './intent-record.ts';
import { checkKvmCaptureOptions } from './kvm-capture-options.ts';
import { captureNode } from './kvm-capture.ts';
import { KvmHost, overlayTemplateDir } from './kvm-host.ts';
import { loadNode, type LoadRequest } from './kvm-load.ts';
import { checkSize, checkSettings, type KvmProvisionerOptions, type KvmSettings } from './kvm-options.ts';
import { findLeftovers, removeLeftovers, type LeftoversOptions, type LeftoversReport } from './leftovers.ts';
import { checkIndependentOptions, checkKvmLoadOptions, type MakeIndependentOptions, type MakeIndependentResult } from './make-independent-options.ts';
import { NodeControl } from './node-control.ts';
import { NodeJournal } from './node-journal.ts';
import { CLEANUP_TIMEOUT_MS } from './transient-fault.ts';
import { powerStateOf, type DomainState } from './translation/virsh-output.ts';

/** powerOff's bound on a graceful shutdown when the call gives none. */
const DEFAULT_POWER_OFF_TIMEOUT_MS = 120_000;

/**
 * Provisioner for a libvirt/QEMU host, driven through `virsh` and `qemu-img` over a command
 * runner (SSH to the host, or local). Nodes get a qcow2 overlay on a library image (or a full
 * copy), a domain from the pure XML builder, and are waited for over SSH through the OS module.
 * Operations on one node, and on one image, are serialized — in this process by a mutex, and
 * across processes and orchestrators by `flock` locks on the host itself ({@link HostLocks}):
 * node locks exclusive, image locks shared while a load makes its disk and exclusive for
 * capture and deleteImage. Different nodes run in parallel. Locks are always taken node first,
 * then image. A load records what it will create before creating it ({@link IntentRecord});
 * the next operation on the node, in any process, undoes what an interrupted one left.
 */
export class KvmProvisioner extends BaseProvisioner {
  readonly provider = 'kvm';
  readonly settings: KvmSettings;
  readonly host: KvmHost;
  readonly library: ImageLibrary;
  /** Locks on the host, shared with every other orchestrator using it. */
  readonly hostLocks: HostLocks;
  readonly #locks = new KeyedMutex();
  readonly #onClose: (() => Promise<void> | void) | undefined;
  readonly #commands: CommandEventForwarder;
  /** Makes nodes' disks independent of their library images (block pull, offline rebase). */
  readonly #detacher: DiskDetacher;
  /** Nodes' domains on the host: state, power, removal with their disks. */
  readonly #control: NodeControl;
  /** Intent records: what an operation makes, so the next call can undo it if it dies. */
  readonly #journal: NodeJournal;

  constructor(options: KvmProvisionerOptions) {
    const settings = checkSettings(options);
    super({ linkedClones: true, fullClones: true, snapshots: false, captureWhileOn: false, retrieveImage: true, discoversAddress: false }, options.events);
    this.settings = settings;
    this.host = options.host ?? new KvmHost(settings.runner, settings.uri);
    this.library = new ImageLibrary(this.host, settings.libraryDir, settings.nodeDiskDir);
    this.hostLocks = new HostLocks(settings.runner);
    this.#onClose = options.onClose;
    // Host commands are this provisioner's command events too.
    this.#commands = new CommandEventForwarder(this.events);
    this.#commands.add(settings.runner);
    this.#control = new NodeControl(this.host, settings.nodeDiskDir);
    this.#journal = new NodeJournal({ host: this.host, control: this.#control, nodeDiskDir: settings.nodeDiskDir, libraryDir: settings.libraryDir, warn: (message, about) => this.events.emit('warning', { message, ...about }) });
    this.#detacher = new DiskDetacher({ host: this.host, uri: settings.uri, commandTimeoutMs: settings.commandTimeoutMs, warn: (message, node) => this.events.emit('warning', { message, node }) });
  }

  /** Stops forwarding host command events and calls the `onClose` option (e.g. closes its SSH pool). */
  override async close(): Promise<void> {
    this.#commands.stop();
    await this.#onClose?.();
  }

  #libraryKey(): string {
    return `${this.host.runner.target}:${this.settings.libraryDir}`;
  }

  /** This process's mutex on the node, then the node's exclusive host lock. */
  #underNodeLock<T>(name: string, signal: AbortSignal | undefined, task: (lock: HostLock) => Promise<T>): Promise<T> {
    const lock = nodeStatePaths(this.settings.nodeDiskDir, name).lock;
    return this.#locks.run(`node:${name}`, () => this.hostLocks.run(lock, { mode: 'exclusive', waitMs: this.settings.lockTimeoutMs, what: `node ${name}`, signal, onLost: this.#lockLost }, task), signal);
  }

  /** This process's mutex on the image, then the image's host lock in `mode`. */
  #underImageLock<T>(image: string, mode: HostLockMode, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    const lock = imageLockPath(this.settings.libraryDir, image);
    return this.#locks.run(`image:${image}`, () => this.hostLocks.run(lock, { mode, waitMs: this.settings.lockTimeoutMs, what: `image ${image}`, signal, onLost: this.#lockLost }, task), signal);
  }

  /** A host lock whose holder ended early (connection lost): said, since another orchestrator may have gone ahead. */
  readonly #lockLost = (what: string): void => {
    this.events.emit('warning', { message: `the host lock on ${what} was lost while the operation ran (its SSH channel closed); another orchestrator may have used ${what} meanwhile` });
  };

  /** The node's own system disk on the host. */
  nodeDiskPath(name: string): string {
    return this.#control.diskPath(name);
  }

  /** Where the node's serial console output is kept on the host. */
  consoleLogPath(name: string): string {
    return this.#control.consoleLogPath(name);
  }

  // ---- load ----------------------------------------------------------------------------

  async load(options: LoadOptions): Promise<LoadResult> {
    checkOperationOptions(options);
    const node = checkNode(options.node);
    const image = checkImageName('image', options.image);
    if (options.size !== undefined) checkSize('size', options.size);
    const size: SizeSpec = { ...this.settings.defaultSize, ...options.size };
    const diskMode = options.diskMode === undefined ? 'linked' : checkOneOf('diskMode', options.diskMode, ['linked', 'full']);
    const ifExists = options.ifExists === undefined ? 'replace' : checkOneOf('ifExists', options.ifExists, ['replace', 'refuse']);
    const osModule = this.#osModule(options.osModule);
    checkOptionalObject('customization', options.customization);
    checkOptionalObject('providerOptions', options.providerOptions);
    // providerOptions.kvm.independent: the node ends without a backing file.
    const independent = checkKvmLoadOptions(options.providerOptions);
    if (options.customization !== undefined) osModule.checkCustomization?.(options.customization);
    if (!node.address) throw new InvalidInputError('node.address', `node ${node.name} needs an address: load waits for its SSH there`);
    const bootTimeoutMs = options.bootTimeoutMs === undefined ? this.settings.bootTimeoutMs : checkPositiveInteger('bootTimeoutMs', options.bootTimeoutMs);
    throwIfAborted(options.signal, `load of ${node.name}`);
    const request: LoadRequest = { options, node, image, size, diskMode, ifExists, osModule, bootTimeoutMs, independent };
    // The node's lock is let go of in the command that removes the finished load's record (#finishLoad).
    return this.#underNodeLock(node.name, options.signal, async (lock) => {
      await this.#journal.recover(node.name, options.signal);
      const loaded = await loadNode(
        {
          host: this.host,
          library: this.library,
          hostLocks: this.hostLocks,
          control: this.#control,
          journal: this.#journal,
          detacher: this.#detacher,
          settings: this.settings,
          progress: (operation, onProgress) => this.progress(operation, { node: node.name, image }, onProgress),
          serializeImage: (task, signal) => this.#locks.run(`image:${image}`, task, signal),
        },
        request,
      );
      await this.#finishLoad(lock, loaded.intent);
      return loaded.done();
    });
  }

  /**
   * After a successful load: removes its intent record and lets go of the node's lock in one
   * host command (the record goes first, while the lock is held, so no other operation can
   * take the node and find this load's record). When that command cannot run or the removal
   * fails, the record is removed as before, retried through transient faults, and the lock is
   * let go of when the load's lock scope ends (which also tells a lock lost on the way).
   */
  async #finishLoad(lock: HostLock, intent: IntentRecord): Promise<void> {
    const path = nodeStatePaths(this.settings.nodeDiskDir, intent.node).intent;
    const together = await lock.releaseAfter(sh`rm -f -- ${path}`).catch(() => undefined);
    if (!together?.ran) await this.#journal.clear(intent);
  }






  // ---- intent records and recovery -----------------------------------------------------








  // ---- leftovers -----------------------------------------------------------------------

  /**
   * Everything provkit left on this host: domains and files of interrupted loads (their intent
   * record present, their node lock free), node disks and console logs with no domain, hidden
   * partial copies in the library whose image lock is free, and stray `qemu-img` processes on
   * those. Dry run by default; `remove: true` removes them, each under its node or image lock.
   */
  async leftovers(options: LeftoversOptions = {}): Promise<LeftoversReport> {
    checkOperationOptions(options);
    if (options.remove !== undefined && typeof options.remove !== 'boolean') throw new InvalidInputError('remove', 'must be true or false');
    const context = { host: this.host, locks: this.hostLocks, libraryDir: this.settings.libraryDir, nodeDiskDir: this.settings.nodeDiskDir, signal: options.signal };
    const report = await findLeftovers(context);
    if (!options.remove) return report;
    return removeLeftovers(context, report, {
      node: (name, task) => this.#underNodeLock(name, options.signal, task),
      image: (image, task) => this.#underImageLock(image, 'exclusive', options.signal, task),
      recover: (name) => this.#journal.recover(name, options.signal),
    });
  }

  // ---- status and power ----------------------------------------------------------------

  async nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
    checkOperationOptions(options);
    const node = checkNode(options.node);
    const wanted = options.image === undefined ? undefined : checkImageName('image', options.image);
    const sshTimeoutMs = options.sshTimeoutMs === undefined ? 10_000 : checkPositiveInteger('sshTimeoutMs', options.sshTimeoutMs);
    const call = options.signal ? { signal: options.signal } : {};
    const state = await this.host.domainState(node.name, call);
    return this.#statusOf(node, state, { wanted, recorded: () => this.host.recordedImage(node.name, call), osModule: options.osModule ?? this.settings.osModule, sshTimeoutMs, signal: options.signal });
  }

  /**
   * The status of many nodes: their states from one `virsh list --all`, the images recorded for
   * the running ones from one virsh run, then the guests probed over SSH, `concurrency` at once.
   */
  override async nodeStatuses(options: NodeStatusesOptions): Promise<NodeStatusEntry[]> {
    const batch = checkStatusBatch(options);
    const call = options.signal ? { signal: options.signal } : {};
    const states = await this.host.domainStates(call);
    const osModule = options.osModule ?? this.settings.osModule;
    const running = batch.nodes.filter((node) => {
      const state = states.get(node.name);
      return state !== undefined && powerStateOf(state) === 'on' && node.address !== undefined;
    });
    const images = batch.wanted === undefined && osModule ? await this.host.recordedImages([...new Set(running.map((node) => node.name))], call) : new Map<string, string | undefined>();
    const facts = { wanted: batch.wanted, osModule, sshTimeoutMs: batch.sshTimeoutMs, signal: options.signal };
    return mapConcurrent(batch.nodes, batch.concurrency, async (node) => ({ node: node.name, status: await this.#statusOf(node, states.get(node.name), { ...facts, recorded: async () => images.get(node.name) }) }));
  }

  /** A node's status from its domain state (undefined: not defined), through core's one decision. */
  async #statusOf(node: CheckedNode, state: DomainState | undefined, facts: GuestFacts): Promise<NodeStatusResult> {
    const power = state === undefined ? 'off' : powerStateOf(state);
    const recordedImage = state === undefined || power !== 'on' || facts.wanted !== undefined || !facts.osModule ? undefined : await facts.recorded();
    return decideNodeStatus({
      node,
      exists: state !== undefined,
      power,
      sshTimeoutMs: facts.sshTimeoutMs,
      wantedImage: facts.wanted,
      recordedImage,
      osModule: facts.osModule,
      signal: facts.signal,
    });
  }

  async powerStatus(options: NodeOperationOptions): Promise<PowerState> {
    checkOperationOptions(options);
    return powerStateOf(await this.#control.state(checkNode(options.node).name, options.signal));
  }

  async powerOn(options: NodeOperationOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNode(options.node);
    await this.#underNodeLock(name, options.signal, async () => {
      const state = await this.#control.state(name, options.signal);
      if (state === 'paused' || state === 'pmsuspended') throw new InvalidStateError(`node ${name} is ${state}; resume it instead`);
      if (powerStateOf(state) === 'off') await this.host.start(name, options);
    });
  }

  async powerOff(options: PowerOffOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNode(options.node);
    const mode = options.mode === undefined ? 'graceful' : checkOneOf('mode', options.mode, ['graceful', 'hard']);
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_POWER_OFF_TIMEOUT_MS : checkPositiveInteger('timeoutMs', options.timeoutMs);
    await this.#underNodeLock(name, options.signal, () => this.#powerOff(name, mode, timeoutMs, options.signal));
  }

  async #powerOff(name: string, mode: 'graceful' | 'hard', timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (mode === 'graceful') {
      await this.#control.bringOff(name, timeoutMs, signal, () => this.events.emit('warning', { message: `node ${name} did not shut down within ${timeoutMs} ms; forcing it off`, operation: 'powerOff', node: name }));
      return;
    }
    await this.#control.forceOff(name, signal);
  }

  override async powerReset(options: NodeOperationOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNode(options.node);
    await this.#underNodeLock(name, options.signal, async () => {
      const state = await this.#control.state(name, options.signal);
      if (powerStateOf(state) === 'off') await this.host.start(name, options);
      else await this.host.reset(name, options);
    });
  }

  override async getCurrentImage(options: NodeOperationOptions): Promise<string | undefined> {
    checkOperationOptions(options);
    const { name } = checkNode(options.node);
    await this.#control.state(name, options.signal);
    return this.host.recordedImage(name, options.signal ? { signal: options.signal } : {});
  }

  async unload(options: NodeOperationOptions): Promise<void> {
    checkOperationOptions(options);
    const { name } = checkNode(options.node);
    throwIfAborted(options.signal, `unload of ${name}`);
    await this.#underNodeLock(name, options.signal, async () => {
      await this.#journal.recover(name, options.signal);
      const call = options.signal ? { signal: options.signal } : {};
      // Someone else's domain of that name is never destroyed: only provkit's marker allows it.
      if ((await this.host.domainState(name, call)) !== undefined && !(await this.host.provkitRecord(name, call)).managed) throw new NodeNotManagedError(name);
      const progress = this.progress('unload', { node: name });
      progress.step('started');
      if (await this.#control.remove(name, options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(CLEANUP_TIMEOUT_MS)]) : undefined, progress)) progress.step('unload-done');
    });
  }



  // ---- capture -------------------------------------------------------------------------

  async capture(options: CaptureOptions): Promise<CaptureResult> {
    checkOperationOptions(options);
    const node = checkNode(options.node);
    const image = checkImageName('image', options.image);
    const endState = options.endState === undefined ? 'off' : checkOneOf('endState', options.endState, ['on', 'off', 'reboot']);
    const shutdownTimeoutMs = options.shutdownTimeoutMs === undefined ? this.settings.shutdownTimeoutMs : checkPositiveInteger('shutdownTimeoutMs', options.shutdownTimeoutMs);
    if (options.skipPreCapture !== undefined && typeof options.skipPreCapture !== 'boolean') throw new InvalidInputError('skipPreCapture', 'must be true or false');
    const osModule = options.skipPreCapture ? undefined : this.#osModule(options.osModule);
    const choices = checkKvmCaptureOptions(options.providerOptions, this.settings);
    // Generalizing goes over SSH: without an address only an explicitly ungeneralized capture can run.
    if (osModule && !node.address) throw new InvalidInputError('node.address', `node ${node.name} needs an address to be generalized before capture (or pass skipPreCapture: true for an ungeneralized copy)`);
    throwIfAborted(options.signal, `capture of ${node.name}`);
    // Node, then image: the order load takes them in, so a load and a capture never wait on each other in a cycle.
    return this.#underNodeLock(node.name, options.signal, () =>
      this.#underImageLock(image, 'exclusive', options.signal, async () => {
        await this.#journal.recover(node.name, options.signal);
        await this.#journal.collectPartials(image, options.signal);
        return captureNode(
          {
            host: this.host,
            library: this.library,
            control: this.#control,
            settings: this.settings,
            progress: (onProgress) => this.progress('capture', { node: node.name, image }, onProgress),
            waitForBoot: (module, signal) => waitForBoot(this.host, node, module, this.settings.bootTimeoutMs, signal),
            powerOff: (timeoutMs, signal) => this.#powerOff(node.name, 'graceful', timeoutMs, signal),
          },
          { options, node, image, endState, shutdownTimeoutMs, osModule, choices },
        );
      }),
    );
  }

  // ---- independent disks ---------------------------------------------------------------

  /**
   * Makes the node's disks stand alone, so its library image can be deleted or replaced while
   * the node lives (`deleteImage` no longer counts it as a user). A running node is block-pulled
   * by QEMU and keeps running; a shut-off node's disks are rebased onto nothing (data copied in)
   * through a temp copy renamed into place. A disk already without a backing file is left as it
   * is. Every wait is bounded by `timeoutMs`; an abort or the bound cancels a running pull. Any
   * interruption leaves every disk valid and bootable, linked or independent, never half of
   * either; calling again finishes the work (a pull QEMU kept running is adopted). Serialized
   * with the node's other operations by its host lock.
   *
   * @throws NodeNotFoundError, NodeNotManagedError (a domain provkit did not define),
   *   InvalidInputError (bad options, before any command), InvalidStateError (a node neither
   *   running nor shut off, or a disk busy in another block job), OperationFailedError (the
   *   step that failed, with the cause: a TimeoutError, an AbortedError, a command failure).
   */
  async makeIndependent(options: MakeIndependentOptions): Promise<MakeIndependentResult> {
    checkOperationOptions(options);
    const { name } = checkNode(options.node);
    const settings = checkIndependentOptions(options);
    throwIfAborted(options.signal, `makeIndependent of ${name}`);
    return this.#underNodeLock(name, options.signal, async () => {
      await this.#journal.recover(name, options.signal);
      return this.#detacher.run(name, settings, this.progress('makeIndependent', { node: name }, options.onProgress), options.signal);
    });
  }

  // ---- images --------------------------------------------------------------------------

  async getImageSize(options: ImageOperationOptions): Promise<ImageSize> {
    checkOperationOptions(options);
    return this.library.size(checkImageName('image', options.image), options.signal ? { signal: options.signal } : {});
  }

  override async doesImageExist(options: ImageOperationOptions): Promise<boolean> {
    checkOperationOptions(options);
    return this.library.exists(checkImageName('image', options.image), options.signal ? { signal: options.signal } : {});
  }

  async listImages(options: ListImagesOptions = {}): Promise<ImageInfo[]> {
    checkOperationOptions(options);
    if (options.base !== undefined) checkName('base', options.base);
    return this.library.list({ signal: options.signal, base: options.base });
  }

  /** Deletes a library image; refused with `ImageInUseError` while a node's overlay is backed by it. */
  async deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult> {
    checkOperationOptions(options);
    const image = checkImageName('image', options.image);
    const call = options.signal ? { signal: options.signal } : {};
    // Exclusive on the host: no load (in any process) makes an overlay on it between the users
    // check and the removal; the check sees overlays not yet defined as domains too.
    return this.#underImageLock(image, 'exclusive', options.signal, async () => {
      await this.#journal.collectPartials(image, options.signal);
      if (!(await this.library.exists(image, call))) return { deleted: false };
      const users = await this.library.usersOf(image, call);
      if (users.length > 0) throw new ImageInUseError(image, users);
      await this.host.remove([this.library.path(image)], call);
      await this.host.removeTrees([overlayTemplateDir(this.library.path(image))], call);
      return { deleted: true };
    });
  }

  /** Copies an image from another KVM provisioner's library, verified by SHA-256. */
  override async retrieveImage(options: RetrieveImageOptions): Promise<void> {
    checkOperationOptions(options);
    const image = checkImageName('image', options.image);
    const from = options.from;
    if (!(from instanceof KvmProvisioner)) throw new InvalidInputError('from', 'must be another KvmProvisioner');
    if (from === this || (from.host.runner.target === this.host.runner.target && from.settings.libraryDir === this.settings.libraryDir)) {
      throw new InvalidInputError('from', 'is this same library');
    }
    const call = options.signal ? { signal: options.signal } : {};
    // Both libraries' image locks, taken in one global order (by host and directory), so two
    // provisioners retrieving from each other at once cannot wait on each other forever.
    const [first, second] = this.#libraryKey() < from.#libraryKey() ? [this, from] : [from, this];
    // On the host: the source image shared (no delete while it is read), ours exclusive.
    const modeOf = (side: KvmProvisioner): HostLockMode => (side === this ? 'exclusive' : 'shared');
    await first.#underImageLock(image, modeOf(first), options.signal, () => second.#underImageLock(image, modeOf(second), options.signal, () => this.library.retrieveFrom(from.library, image, call)));
  }

  #osModule(given: OsModuleV1 | undefined): OsModuleV1 {
    const osModule = checkOptionalOsModule<OsModuleV1>('osModule', given) ?? this.settings.osModule;
    if (!osModule) throw new InvalidInputError('osModule', 'this operation needs an OS module (give one to the operation or to the provisioner)');
    return osModule;
  }
}

/** What {@link KvmProvisioner} needs, beyond the domain state, to tell a running node's status. */
interface GuestFacts {
  wanted: string | undefined;
  /** The image recorded at load (read only when no image is wanted). */
  recorded: () => Promise<string | undefined>;
  osModule: OsModuleV1 | undefined;
  sshTimeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Validates a `nodeStatuses` call whole, before any command runs. */
function checkStatusBatch(options: NodeStatusesOptions): { nodes: CheckedNode[]; wanted: string | undefined; sshTimeoutMs: number; concurrency: number } {
  if (!Array.isArray(options?.nodes)) throw new InvalidInputError('nodes', 'must be an array of nodes');
  return {
    nodes: options.nodes.map((node) => checkNode(node)),
    wanted: options.image === undefined ? undefined : checkImageName('image', options.image),
    sshTimeoutMs: options.sshTimeoutMs === undefined ? 10_000 : checkPositiveInteger('sshTimeoutMs', options.sshTimeoutMs),
    concurrency: options.concurrency === undefined ? 8 : checkPositiveInteger('concurrency', options.concurrency),
  };
}





/** Exit status and stderr marker of the disk command when the library image is not there (checked under its lock). */
