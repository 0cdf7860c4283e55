import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  IMAGE_NAME_PATTERN,
  ImageExistsError,
  ImageInUseError,
  ImageNotFoundError,
  InvalidInputError,
  InvalidStateError,
  NodeNotFoundError,
  OperationFailedError,
  parseImageName,
  ProvkitError,
  type ImageInfo,
  type ImageSize,
  type PowerState,
  type ProvkitEmitter,
  type Secret,
} from '@provkit/core';
import type { XmlValue } from '../translation/envelope.ts';
import { folderChildren, propertiesOf } from '../translation/property-spec.ts';
import * as requests from '../translation/vim-requests.ts';
import { decodeBoolean, decodeDiskCapacities, decodeExtraConfig, decodeLayoutFiles, decodeMoRefList, decodeRootSnapshots, decodeString, parseMoRef } from '../translation/vim-responses.ts';
import type { MoRef } from '../translation/xml.ts';
import type { CaptureNodeOptions, CreateNodeRequest, DestroyOwnedOutcome, DriverCallOptions, EsxDriver, EsxLeftover, EsxNodeFacts, LoadOperation, NodeHardware } from '../esx-driver.ts';
import { CAPTURE_OF_KEY, captureTemporaryName, capturingRecord, DEFAULT_LEASE_MS, decodeOwnership, imageOfCaptureTemporary, leaseAlive, leaseRenewal, loadingRecord, newOperation, OPERATION_KEY, parseOwner, readyRecord, type OwnershipRecord } from './ownership-record.ts';
import type { VimTlsOptions } from '../wire/tls-verification.ts';
import { acquireVimClient, type SharedVimClient } from '../wire/shared-vim-client.ts';
import { AbandonedTaskError, VSphereApi } from './vsphere-api.ts';

/** Where the vSphere back end keeps images and nodes, and how it reaches the endpoint. */
export interface VimDriverOptions {
  /** SDK endpoint, `https://vcenter.example.org/sdk`. */
  url: string;
  username: string;
  password: Secret;
  tls?: VimTlsOptions | undefined;
  /** Inventory path of the datacenter (`/DC0`); default: the only one (`ha-datacenter` on an ESXi). */
  datacenter?: string | undefined;
  /** Folder under the datacenter's VM folder holding the templates (`images`, `a/b`); default: the VM folder. */
  imagesFolder?: string | undefined;
  /** Folder under the datacenter's VM folder for nodes; default: the VM folder. */
  nodesFolder?: string | undefined;
  /** Inventory path of the resource pool for nodes; default: the first compute resource's root pool. */
  resourcePool?: string | undefined;
  /** Datastore name for nodes' and images' files; default: the source's. */
  datastore?: string | undefined;
  /** Bound on SOAP requests in flight (default 8). */
  maxConcurrentRequests?: number | undefined;
  requestTimeoutMs?: number | undefined;
  /** Session keep-alive interval (default 10 min; 0 off): see `VimClientOptions.keepAliveIntervalMs`. */
  keepAliveIntervalMs?: number | undefined;
  /** Bound on each vSphere task (default 30 min). */
  taskTimeoutMs?: number | undefined;
}

/** extraConfig keys provkit records on the nodes it creates. */
const IMAGE_KEY = 'provkit.image';
const DISK_MODE_KEY = 'provkit.diskMode';
/** Bound on removing what a clone given up on left behind. */
const LEFTOVER_TIMEOUT_MS = 120_000;

/** Errors after which a clone may or may not exist on the endpoint. */
function outcomeUnknown(error: unknown): boolean {
  // AbandonedTaskError shares OPERATION_FAILED with every failed step; VSphereApi, in this package, throws it.
  return ProvkitError.hasCode(error, 'ABORTED') || ProvkitError.hasCode(error, 'TIMEOUT') || ProvkitError.hasCode(error, 'CONNECTION_FAILED') || error instanceof AbandonedTaskError;
}
/** Name of the snapshot linked clones are made from; captures create it. */
export const BASE_SNAPSHOT_NAME = 'provkit-base';

const NODE_PATHS = ['runtime.powerState', 'config.template', 'guest.toolsRunningStatus', 'guest.ipAddress', 'config.extraConfig'];
const IMAGE_PATHS = ['name', 'config.template', 'layoutEx.file', 'config.hardware.device', 'snapshot'];

interface Placement {
  datacenterPath: string;
  imagesFolder: MoRef;
  imagesPath: string;
  nodesFolder: MoRef;
  nodesPath: string;
  pool: MoRef;
  datastore: MoRef | undefined;
}

function folderPath(field: string, value: string | undefined): string {
  if (value === undefined || value === '') return '';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_. -]*(\/[A-Za-z0-9_][A-Za-z0-9_. -]*)*$/.test(value)) throw new InvalidInputError(field, `${JSON.stringify(value)} is not a folder path like "images" or "a/b"`);
  return `/${value}`;
}

function powerOf(value: XmlValue | undefined): PowerState {
  const state = decodeString(value);
  return state === 'poweredOn' ? 'on' : state === 'poweredOff' ? 'off' : state === 'suspended' ? 'suspended' : 'unknown';
}

/**
 * The vSphere API back end: a vCenter or an ESXi with a writable API. Drivers of one endpoint
 * (same URL, user, password and TLS settings) share one session in the process. Images are templates
 * in the images folder, each with the root snapshot `provkit-base` that linked clones use;
 * nodes are VMs in the nodes folder, recording their image in `extraConfig`.
 */
export class VimDriver implements EsxDriver {
  readonly kind = 'api' as const;
  readonly supportsLinkedClones = true;
  /**
   * The vSphere API layer this driver calls, for lab tests that inspect the endpoint (this
   * package's, and the fleet's count of VMs on the simulator); not a public interface.
   *
   * @internal
   */
  readonly api: VSphereApi;
  readonly #options: VimDriverOptions;
  readonly #imagesSuffix: string;
  readonly #nodesSuffix: string;
  readonly #taskTimeoutMs: number;
  readonly #session: SharedVimClient;
  #placement: Promise<Placement> | undefined;
  /**
   * References found or made by this driver, so one operation does not look a name up again
   * at every step. A stale one (the object was removed behind provkit's back) is dropped and
   * looked up afresh on the first "not found".
   */
  readonly #images = new Map<string, { ref: MoRef; snapshots: Array<{ snapshot: MoRef; name: string }> }>();
  readonly #nodes = new Map<string, MoRef>();
  /** The VM each running load of this driver made, by operation id: its record is renewed on that VM only. */
  readonly #owned = new Map<string, MoRef>();
  /** The endpoint's clock less this process's (leases are in the endpoint's time), measured once. */
  #clockOffset: Promise<number> | undefined;

  constructor(options: VimDriverOptions, events?: ProvkitEmitter) {
    this.#imagesSuffix = folderPath('imagesFolder', options.imagesFolder);
    this.#nodesSuffix = folderPath('nodesFolder', options.nodesFolder);
    if (options.datacenter !== undefined) folderPath('datacenter', options.datacenter.replace(/^\//, ''));
    this.#options = options;
    this.#taskTimeoutMs = options.taskTimeoutMs ?? 30 * 60_000;
    this.#session = acquireVimClient({
      url: options.url,
      username: options.username,
      password: options.password,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.maxConcurrentRequests ? { maxConcurrentRequests: options.maxConcurrentRequests } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.keepAliveIntervalMs !== undefined ? { keepAliveIntervalMs: options.keepAliveIntervalMs } : {}),
      ...(events ? { events } : {}),
    });
    this.api = new VSphereApi(this.#session.client, events ? { events } : {});
  }

  /** Resolves folders, pool and datastore once (lazily, so constructing touches nothing). */
  #place(options: DriverCallOptions): Promise<Placement> {
    this.#placement ??= this.#resolvePlacement(options);
    this.#placement.catch(() => (this.#placement = undefined));
    return this.#placement;
  }

  async #resolvePlacement(options: DriverCallOptions): Promise<Placement> {
    const call = options.signal ? { signal: options.signal } : {};
    let datacenterPath = this.#options.datacenter?.replace(/^\//, '');
    if (datacenterPath === undefined) {
      const content = await this.api.serviceContent(call);
      const datacenters = await this.api.viewObjects(content.rootFolder, 'Datacenter', ['name'], call);
      if (datacenters.length !== 1) throw new InvalidInputError('datacenter', `the endpoint has ${datacenters.length} datacenters; name one`);
      datacenterPath = decodeString(datacenters[0]!.props['name'])!;
    }
    const must = async (path: string, field: string): Promise<MoRef> => {
      const ref = await this.api.findByPath(path, call);
      if (ref === undefined) throw new InvalidInputError(field, `nothing at inventory path ${path}`);
      return ref;
    };
    const imagesPath = `${datacenterPath}/vm${this.#imagesSuffix}`;
    const nodesPath = `${datacenterPath}/vm${this.#nodesSuffix}`;
    const [imagesFolder, nodesFolder] = await Promise.all([must(imagesPath, 'imagesFolder'), must(nodesPath, 'nodesFolder')]);
    let pool: MoRef;
    if (this.#options.resourcePool !== undefined) pool = await must(this.#options.resourcePool.replace(/^\//, ''), 'resourcePool');
    else {
      const datacenter = await must(datacenterPath, 'datacenter');
      const computeResources = await this.api.viewObjects(datacenter, 'ComputeResource', ['name', 'resourcePool'], call);
      const first = computeResources
        .map((entry) => ({ name: decodeString(entry.props['name']) ?? '', pool: entry.props['resourcePool'] }))
        .sort((a, b) => a.name.localeCompare(b.name))
        .find((entry) => entry.pool !== undefined);
      const ref = parseMoRef(first?.pool);
      if (ref === undefined) throw new InvalidInputError('resourcePool', `datacenter ${datacenterPath} has no compute resource with a resource pool`);
      pool = ref;
    }
    const datastore = this.#options.datastore === undefined ? undefined : await must(`${datacenterPath}/datastore/${this.#options.datastore}`, 'datastore');
    return { datacenterPath, imagesFolder, imagesPath, nodesFolder, nodesPath, pool, datastore };
  }

  /** Looks an image up (always afresh) and returns its reference and properties, when it is a template. */
  async #lookupImage(image: string, options: DriverCallOptions): Promise<{ ref: MoRef; props: Record<string, XmlValue> } | undefined> {
    const placement = await this.#place(options);
    const ref = await this.api.findByPath(`${placement.imagesPath}/${image}`, options);
    if (ref === undefined || ref.type !== 'VirtualMachine') {
      this.#images.delete(image);
      return undefined;
    }
    const props = await this.api.properties(ref, IMAGE_PATHS, options);
    if (!decodeBoolean(props['config.template'])) {
      this.#images.delete(image);
      return undefined;
    }
    this.#images.set(image, { ref, snapshots: decodeRootSnapshots(props['snapshot']) });
    return { ref, props };
  }

  async #findImage(image: string, options: DriverCallOptions): Promise<MoRef | undefined> {
    return (await this.#lookupImage(image, options))?.ref;
  }

  async #findNode(node: string, options: DriverCallOptions): Promise<MoRef | undefined> {
    const placement = await this.#place(options);
    const ref = await this.api.findByPath(`${placement.nodesPath}/${node}`, options);
    if (ref?.type !== 'VirtualMachine') {
      this.#nodes.delete(node);
      return undefined;
    }
    this.#nodes.set(node, ref);
    return ref;
  }

  /** Runs `action` on the node's reference: the known one first, a fresh lookup if that one went stale. */
  async #withNode<T>(node: string, options: DriverCallOptions, action: (ref: MoRef) => Promise<T>): Promise<T> {
    const known = this.#nodes.get(node);
    if (known !== undefined) {
      try {
        return await action(known);
      } catch (error) {
        if (!ProvkitError.hasCode(error, 'NODE_NOT_FOUND')) throw error;
        this.#nodes.delete(node);
      }
    }
    const ref = await this.#findNode(node, options);
    if (ref === undefined) throw new NodeNotFoundError(node);
    return action(ref);
  }

  #task(request: Parameters<VSphereApi['runTask']>[0], context: { node?: string; image?: string; creates?: 'node' | 'image' }, options: DriverCallOptions) {
    return this.api.runTask(request, { ...options, context, timeoutMs: this.#taskTimeoutMs });
  }

  static #imageInfo(name: string, props: Record<string, XmlValue>): ImageInfo {
    const parsed = parseImageName('image', name);
    const virtualBytes = decodeDiskCapacities(props['config.hardware.device']).reduce((sum, bytes) => sum + bytes, 0);
    const allocatedBytes = decodeLayoutFiles(props['layoutEx.file']).reduce((sum, file) => sum + file.size, 0);
    return { name, base: parsed.base, revision: parsed.revision, format: 'template', virtualBytes, allocatedBytes };
  }

  async imageInfo(image: string, options: DriverCallOptions = {}): Promise<ImageInfo | undefined> {
    const found = await this.#lookupImage(image, options);
    return found === undefined ? undefined : VimDriver.#imageInfo(image, found.props);
  }

  async listImages(options: DriverCallOptions = {}): Promise<ImageInfo[]> {
    const placement = await this.#place(options);
    const objects = await this.api.retrieve([folderChildren(placement.imagesFolder, 'VirtualMachine', IMAGE_PATHS)], options);
    return objects
      .filter((object) => decodeBoolean(object.props['config.template']) && IMAGE_NAME_PATTERN.test(decodeString(object.props['name']) ?? ''))
      .map((object) => VimDriver.#imageInfo(decodeString(object.props['name'])!, object.props))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteImage(image: string, options: DriverCallOptions = {}): Promise<void> {
    const ref = await this.#findImage(image, options);
    if (ref === undefined) throw new ImageNotFoundError(image);
    const placement = await this.#place(options);
    // Linked nodes share the template's disks through its snapshot: they must go first.
    const nodes = await this.api.retrieve([folderChildren(placement.nodesFolder, 'VirtualMachine', ['name', 'config.extraConfig'])], options);
    const usedBy: string[] = [];
    for (const object of nodes) {
      const extra = decodeExtraConfig(object.props['config.extraConfig']);
      if (extra[IMAGE_KEY] !== image || extra[DISK_MODE_KEY] !== 'linked') continue;
      const name = decodeString(object.props['name']) ?? object.obj.value;
      // The leftover of a load that died holds the image by no one's will: it goes first.
      const leftover = decodeOwnership(extra).state === 'loading' && !(await this.#loadAlive(object.obj, extra, options));
      if (leftover && extra[OPERATION_KEY] !== undefined && (await this.destroyOwned(name, extra[OPERATION_KEY], options)) !== 'not-ours') continue;
      usedBy.push(name);
    }
    // A load in another orchestrator whose clone of the image still runs has no VM to list yet
    // (a clone task names its template, not the VM it makes): its task holds the image.
    const cloning = (await this.#recentCloneTasks(options)).filter((task) => task.entity === ref.value && (task.state === 'queued' || task.state === 'running'));
    if (cloning.length > 0) usedBy.push(`${cloning.length} clone task${cloning.length > 1 ? 's' : ''} of it still running`);
    if (usedBy.length > 0) throw new ImageInUseError(image, usedBy);
    this.#images.delete(image);
    await this.#task(requests.destroyTask(ref), { image }, options);
  }

  async nodeFacts(node: string, options: DriverCallOptions = {}): Promise<EsxNodeFacts | undefined> {
    const ref = await this.#findNode(node, options);
    if (ref === undefined) return undefined;
    return this.#factsOf(ref, await this.api.properties(ref, NODE_PATHS, options), options);
  }

  /** Facts of every VM in the nodes folder, by name, from one property-collector retrieval. */
  async nodesFacts(options: DriverCallOptions = {}): Promise<Map<string, EsxNodeFacts>> {
    const placement = await this.#place(options);
    const objects = await this.api.retrieve([folderChildren(placement.nodesFolder, 'VirtualMachine', ['name', ...NODE_PATHS])], options);
    const facts = new Map<string, EsxNodeFacts>();
    for (const object of objects) {
      const name = decodeString(object.props['name']);
      if (name !== undefined) facts.set(name, await this.#factsOf(object.obj, object.props, options));
    }
    return facts;
  }

  /**
   * Clones the node. The name was checked free by the caller (under its node lock); the
   * endpoint refuses a duplicate itself (DuplicateName → NodeExistsError), and then the other
   * VM of that name is left alone. The template is the one the caller just looked up, if any;
   * a stale reference fails as ImageNotFoundError. A clone given up on (signal or bound) is
   * cancelled and, if it was made all the same, destroyed; when its outcome stays unknown
   * (no task reference, or the task did not settle), or the task failed (a host may fail a
   * clone after registering its VM), a VM of the node's name carrying this load's operation
   * id is destroyed. The VM carries its ownership record from the clone spec on.
   */
  async createNode(request: CreateNodeRequest, options: DriverCallOptions = {}): Promise<void> {
    const placement = await this.#place(options);
    const known = this.#images.get(request.image) ?? (await this.#lookupImage(request.image, options), this.#images.get(request.image));
    if (known === undefined) throw new ImageNotFoundError(request.image, placement.imagesPath);
    const template = known.ref;
    let snapshot: MoRef | undefined;
    if (request.diskMode === 'linked') {
      const roots = known.snapshots;
      // Decided: a template without exactly one root snapshot is not changed behind the
      // user's back (that would edit a library image); the load is refused instead.
      if (roots.length !== 1) {
        throw new InvalidStateError(`image ${request.image} has ${roots.length} root snapshots; a linked clone needs exactly one (capture it with provkit, which creates "${BASE_SNAPSHOT_NAME}", or load with diskMode "full")`);
      }
      snapshot = roots[0]!.snapshot;
    }
    const operation: LoadOperation = request.operation ?? newOperation(DEFAULT_LEASE_MS);
    // The ownership record goes in the clone spec: the VM never exists without it.
    const record = loadingRecord(operation, (await this.#endpointNow(options)) + operation.leaseMs);
    let clone: MoRef | undefined;
    try {
      clone = await this.api.runTask(
        requests.cloneVmTask(template, {
          folder: placement.nodesFolder,
          name: request.node,
          pool: placement.pool,
          ...(placement.datastore ? { datastore: placement.datastore } : {}),
          ...(snapshot ? { linkedFromSnapshot: snapshot } : {}),
          config: { extraConfig: { [IMAGE_KEY]: request.image, [DISK_MODE_KEY]: request.diskMode, ...record } },
        }),
        { ...options, context: { node: request.node, image: request.image, creates: 'node' }, timeoutMs: this.#taskTimeoutMs, undo: (made) => this.#destroyVm(made, { signal: AbortSignal.timeout(LEFTOVER_TIMEOUT_MS) }) },
      );
    } catch (error) {
      if (ProvkitError.hasCode(error, 'IMAGE_NOT_FOUND')) this.#images.delete(request.image);
      // Given up on, or failed: either way a VM may carry this load's id (a host can fail a
      // clone after registering its VM), and only that one is removed.
      await this.#removeLeftover(`${placement.nodesPath}/${request.node}`, (extra) => extra[OPERATION_KEY] === operation.id).catch((cleanup: unknown) => {
        throw outcomeUnknown(error) ? new AbandonedTaskError('CloneVM_Task', error, cleanup) : new OperationFailedError('CloneVM_Task', 'remove-half-made-clone', error, cleanup);
      });
      throw error;
    }
    if (clone !== undefined) {
      this.#nodes.set(request.node, clone);
      this.#owned.set(operation.id, clone);
    }
  }

  /** The endpoint's time now, from the offset measured by one `CurrentTime`. */
  async #endpointNow(options: DriverCallOptions): Promise<number> {
    this.#clockOffset ??= (async () => {
      const before = Date.now();
      const endpoint = await this.api.currentTime(options.signal ? { signal: options.signal } : {});
      return endpoint - (before + Date.now()) / 2;
    })();
    this.#clockOffset.catch(() => (this.#clockOffset = undefined));
    return Date.now() + (await this.#clockOffset);
  }

  /** The VM the load `operation` of this driver made (not whatever now has the node's name). */
  #ownedVm(node: string, operation: LoadOperation): MoRef {
    const ref = this.#owned.get(operation.id);
    if (ref === undefined) throw new NodeNotFoundError(node);
    return ref;
  }

  async renewLease(node: string, operation: LoadOperation, options: DriverCallOptions = {}): Promise<void> {
    const ref = this.#ownedVm(node, operation);
    const extraConfig = leaseRenewal((await this.#endpointNow(options)) + operation.leaseMs);
    await this.#task(requests.reconfigVmTask(ref, { extraConfig }), { node }, options);
  }

  async markReady(node: string, operation: LoadOperation, options: DriverCallOptions = {}): Promise<void> {
    const ref = this.#ownedVm(node, operation);
    await this.#task(requests.reconfigVmTask(ref, { extraConfig: readyRecord() }), { node }, options);
    this.#owned.delete(operation.id);
  }

  async destroyOwned(node: string, operationId: string, options: DriverCallOptions = {}): Promise<DestroyOwnedOutcome> {
    this.#owned.delete(operationId);
    const placement = await this.#place(options);
    this.#nodes.delete(node);
    return this.#destroyCarrying(`${placement.nodesPath}/${node}`, operationId, options);
  }

  /** Destroys the VM at `path` only when it carries `operationId` (undefined: carries none). */
  async #destroyCarrying(path: string, operationId: string | undefined, options: DriverCallOptions): Promise<DestroyOwnedOutcome> {
    const ref = await this.api.findByPath(path, options);
    if (ref?.type !== 'VirtualMachine') return 'absent';
    const extra = await this.api.extraConfig(ref, options);
    if (extra[OPERATION_KEY] !== operationId) return 'not-ours';
    await this.#destroyVm(ref, options);
    return 'destroyed';
  }

  /**
   * Whether the load that made a `loading` VM still runs: its lease holds; or a clone of its
   * image is still running or ended less than a lease ago (the load renews its lease only once
   * the clone gave it its VM, and a clone task names its template, not the VM it makes).
   */
  async #loadAlive(vm: MoRef, extra: Readonly<Record<string, string>>, options: DriverCallOptions): Promise<boolean> {
    const record = decodeOwnership(extra);
    if (record.state !== 'loading') return false;
    const image = extra[IMAGE_KEY];
    return this.#ownerAlive(vm, record, async () => (image === undefined ? undefined : (await this.#findImage(image, options).catch(() => undefined))?.value), options);
  }

  /**
   * Whether the capture that made a temporary copy still runs: its lease holds (set at the
   * clone's start; a capture's steps after its clone take seconds); or a clone of the VM it
   * copies is still running, or its own clone ended less than a lease ago.
   */
  async #captureAlive(vm: MoRef, extra: Readonly<Record<string, string>>, options: DriverCallOptions): Promise<boolean> {
    return this.#ownerAlive(vm, decodeOwnership(extra), () => Promise.resolve(extra[CAPTURE_OF_KEY]), options);
  }

  /**
   * Whether the operation that recorded `record` on `vm` still runs: not when its owner ran on
   * this very machine in a process that is gone (a worker taking over a killed worker's job
   * need not wait the lease out); else while its lease holds, while a clone of `cloneSource`
   * (the template or VM its clone copies; a clone task names its source, not the VM it makes)
   * runs, or within one lease after the clone that made `vm` ended.
   */
  async #ownerAlive(vm: MoRef, record: OwnershipRecord, cloneSource: () => Promise<string | undefined>, options: DriverCallOptions): Promise<boolean> {
    if (ownerGoneHere(record.owner)) return false;
    const now = await this.#endpointNow(options);
    if (leaseAlive(record, now)) return true;
    const source = await cloneSource();
    for (const task of await this.#recentCloneTasks(options)) {
      if (source !== undefined && task.entity === source && (task.state === 'queued' || task.state === 'running')) return true;
      if (task.result === vm.value && leaseAlive(record, now, task.completeTime)) return true;
    }
    return false;
  }

  /** The clone tasks among the task manager's recent tasks (empty when they cannot be read). */
  async #recentCloneTasks(options: DriverCallOptions): Promise<Array<{ state: string | undefined; entity: string | undefined; result: string | undefined; completeTime: number | undefined }>> {
    try {
      const content = await this.api.serviceContent(options);
      if (content.taskManager === undefined) return [];
      const refs = decodeMoRefList((await this.api.properties(content.taskManager, ['recentTask'], options))['recentTask']);
      if (refs.length === 0) return [];
      const tasks = await this.api.retrieve(refs.map((ref) => propertiesOf(ref, ['info.descriptionId', 'info.state', 'info.entity', 'info.result', 'info.completeTime'])), options);
      return tasks
        .filter((task) => (decodeString(task.props['info.descriptionId']) ?? '').startsWith('VirtualMachine.clone'))
        .map((task) => {
          const completed = Date.parse(decodeString(task.props['info.completeTime']) ?? '');
          return {
            state: decodeString(task.props['info.state']),
            entity: parseMoRef(task.props['info.entity'])?.value,
            result: parseMoRef(task.props['info.result'])?.value,
            completeTime: Number.isFinite(completed) ? completed : undefined,
          };
        });
    } catch (error) {
      if (ProvkitError.hasCode(error, 'ABORTED')) throw error;
      return [];
    }
  }

  /** The facts of a node, with whether the load that made it still runs when it is `loading`. */
  async #factsOf(ref: MoRef, props: Readonly<Record<string, XmlValue | undefined>>, options: DriverCallOptions): Promise<EsxNodeFacts> {
    const facts = nodeFactsOf(props);
    const extra = decodeExtraConfig(props['config.extraConfig']);
    const record = decodeOwnership(extra);
    if (record.state === undefined) return facts;
    const alive = record.state === 'loading' && (await this.#loadAlive(ref, extra, options));
    return { ...facts, operation: { ...(record.operation ? { id: record.operation } : {}), ...(record.owner ? { owner: record.owner } : {}), state: record.state, alive } };
  }

  async leftovers(options: DriverCallOptions & { remove: boolean }): Promise<EsxLeftover[]> {
    const placement = await this.#place(options);
    const objects = await this.api.retrieve([folderChildren(placement.nodesFolder, 'VirtualMachine', ['name', ...NODE_PATHS])], options);
    const found: EsxLeftover[] = [];
    for (const object of objects) {
      const name = decodeString(object.props['name']);
      const facts = await this.#factsOf(object.obj, object.props, options);
      if (name === undefined || facts.isTemplate || facts.operation?.state !== 'loading' || facts.operation.alive) continue;
      const id = facts.operation.id;
      // Removed by its operation id: a VM that a new load made under that name meanwhile stays.
      const removed = options.remove && id !== undefined && (await this.destroyOwned(name, id, options)) === 'destroyed';
      found.push({ kind: 'node', name, operation: id, owner: facts.operation.owner, removed });
    }
    found.push(...(await this.#captureLeftovers(placement, { remove: options.remove }, options)));
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The temporary copies in the images folder (of `image`, or of any) whose capture is no
   * longer alive; destroyed when `remove` (by their operation id, as they were read).
   */
  async #captureLeftovers(placement: Placement, which: { remove: boolean; image?: string }, options: DriverCallOptions): Promise<EsxLeftover[]> {
    const objects = await this.api.retrieve([folderChildren(placement.imagesFolder, 'VirtualMachine', ['name', 'config.extraConfig'])], options);
    const found: EsxLeftover[] = [];
    for (const object of objects) {
      const name = decodeString(object.props['name']) ?? '';
      const image = imageOfCaptureTemporary(name);
      if (image === undefined || (which.image !== undefined && image !== which.image)) continue;
      const extra = decodeExtraConfig(object.props['config.extraConfig']);
      if (await this.#captureAlive(object.obj, extra, options)) continue;
      const record = decodeOwnership(extra);
      const removed = which.remove && (await this.#destroyCarrying(`${placement.imagesPath}/${name}`, extra[OPERATION_KEY], options)) === 'destroyed';
      found.push({ kind: 'capture', name, image, operation: record.operation, owner: record.owner, removed });
    }
    return found;
  }

  /** Powers a VM off if needed and destroys it. */
  async #destroyVm(ref: MoRef, options: DriverCallOptions): Promise<void> {
    const props = await this.api.properties(ref, ['runtime.powerState'], options);
    if (powerOf(props['runtime.powerState']) !== 'off') await this.api.runTask(requests.powerOffVmTask(ref), options);
    await this.api.runTask(requests.destroyTask(ref), options);
  }

  /** Destroys the VM at `path` when `ours` accepts its extraConfig (a clone given up on that was made after all). */
  async #removeLeftover(path: string, ours: (extra: Record<string, string>) => boolean): Promise<void> {
    const call = { signal: AbortSignal.timeout(LEFTOVER_TIMEOUT_MS) };
    const ref = await this.api.findByPath(path, call);
    if (ref?.type !== 'VirtualMachine') return;
    if (!ours(await this.api.extraConfig(ref, call))) return;
    await this.#destroyVm(ref, call);
  }

  /** `ReconfigVM_Task`. Sizes are not put into the clone spec: not every endpoint honours them there (the simulator does not). */
  async resizeNode(node: string, hardware: NodeHardware, options: DriverCallOptions = {}): Promise<void> {
    await this.#withNode(node, options, (ref) => this.#task(requests.reconfigVmTask(ref, hardware), { node }, options));
  }

  async destroyNode(node: string, options: DriverCallOptions = {}): Promise<boolean> {
    const ref = await this.#findNode(node, options);
    if (ref === undefined) return false;
    const props = await this.api.properties(ref, ['runtime.powerState', 'config.template'], options);
    if (decodeBoolean(props['config.template'])) throw new InvalidStateError(`${node} is a template (an image), not a node; use deleteImage`);
    if (powerOf(props['runtime.powerState']) !== 'off') await this.#task(requests.powerOffVmTask(ref), { node }, options);
    this.#nodes.delete(node);
    await this.#task(requests.destroyTask(ref), { node }, options);
    return true;
  }

  async powerOn(node: string, options: DriverCallOptions = {}): Promise<void> {
    await this.#withNode(node, options, (ref) => this.#task(requests.powerOnVmTask(ref), { node }, options));
  }

  async powerOff(node: string, options: DriverCallOptions = {}): Promise<void> {
    await this.#withNode(node, options, (ref) => this.#task(requests.powerOffVmTask(ref), { node }, options));
  }

  async shutdownGuest(node: string, options: DriverCallOptions = {}): Promise<void> {
    await this.#withNode(node, options, (ref) => this.api.invoke(requests.shutdownGuest(ref), { ...options, context: { node } }));
  }

  async reset(node: string, options: DriverCallOptions = {}): Promise<void> {
    await this.#withNode(node, options, (ref) => this.#task(requests.resetVmTask(ref), { node }, options));
  }

  async waitForGuest(node: string, options: DriverCallOptions & { timeoutMs: number }): Promise<{ ipAddress: string }> {
    return this.#withNode(node, options, (ref) => this.api.waitForGuest(ref, { ...options, what: `VMware Tools and an IP address on node ${node}`, context: { node } }));
  }

  async waitForPowerOff(node: string, options: DriverCallOptions & { timeoutMs: number }): Promise<void> {
    await this.#withNode(node, options, (ref) => this.api.waitForPowerState(ref, 'poweredOff', { ...options, what: `node ${node} to power off`, context: { node } }));
  }

  async captureNode(node: string, image: string, options: CaptureNodeOptions = {}): Promise<ImageSize> {
    const { operation: given, ...call } = options;
    const placement = await this.#place(call);
    const source = await this.#findNode(node, call);
    if (source === undefined) throw new NodeNotFoundError(node);
    // Any object of that name in the images folder blocks the name, template or not.
    if ((await this.api.findByPath(`${placement.imagesPath}/${image}`, call)) !== undefined) throw new ImageExistsError(image, placement.imagesPath);
    // Copies of this image that captures which died left (the retry of a killed capture) go first.
    await this.#captureLeftovers(placement, { remove: true, image }, call);
    const operation: LoadOperation = given ?? newOperation(DEFAULT_LEASE_MS);
    // "~" is outside every valid node and image name: the temporary copy can never be taken for one.
    const temporary = captureTemporaryName(image, randomBytes(4).toString('hex'));
    // The record goes in the clone spec: a copy whose capture dies is known as a leftover.
    const record = capturingRecord(operation, (await this.#endpointNow(call)) + operation.leaseMs, source.value);
    let copy: MoRef | undefined;
    try {
      copy = await this.api.runTask(
        requests.cloneVmTask(source, { folder: placement.imagesFolder, name: temporary, pool: placement.pool, ...(placement.datastore ? { datastore: placement.datastore } : {}), config: { extraConfig: record } }),
        { ...call, context: { node, image, creates: 'image' }, timeoutMs: this.#taskTimeoutMs, undo: (made) => this.#destroyVm(made, { signal: AbortSignal.timeout(LEFTOVER_TIMEOUT_MS) }) },
      );
    } catch (error) {
      // Given up on, or failed (a host can fail a clone after registering its copy): the
      // temporary name is random and outside every valid name, so whatever carries it is this capture's.
      await this.#removeLeftover(`${placement.imagesPath}/${temporary}`, () => true).catch((cleanup: unknown) => {
        throw outcomeUnknown(error) ? new AbandonedTaskError('CloneVM_Task', error, cleanup) : new OperationFailedError('CloneVM_Task', 'remove-half-made-copy', error, cleanup);
      });
      throw error;
    }
    if (copy === undefined) throw new InvalidStateError(`cloning ${node} returned no VM`);
    try {
      await this.#task(requests.createSnapshotTask(copy, BASE_SNAPSHOT_NAME, `base of linked clones of ${image}`), { image }, call);
      await this.api.invoke(requests.markAsTemplate(copy), { ...call, context: { image } });
      await this.#task(requests.renameTask(copy, image), { image, creates: 'image' }, call);
    } catch (error) {
      await this.#destroyVm(copy, { signal: AbortSignal.timeout(LEFTOVER_TIMEOUT_MS) }).catch(() => undefined);
      throw error;
    }
    const props = await this.api.properties(copy, IMAGE_PATHS, call);
    this.#images.set(image, { ref: copy, snapshots: decodeRootSnapshots(props['snapshot']) });
    const info = VimDriver.#imageInfo(image, props);
    return { virtualBytes: info.virtualBytes, allocatedBytes: info.allocatedBytes };
  }

  /** Releases this driver's hold on the shared session (the last one logs out). */
  async close(): Promise<void> {
    await this.#session.release(this.api.callOptions);
  }
}

/** A node's facts from its {@link NODE_PATHS} properties. */
function nodeFactsOf(props: Readonly<Record<string, XmlValue | undefined>>): EsxNodeFacts {
  const ipAddress = decodeString(props['guest.ipAddress']);
  const image = decodeExtraConfig(props['config.extraConfig'])[IMAGE_KEY];
  return {
    power: powerOf(props['runtime.powerState']),
    isTemplate: decodeBoolean(props['config.template']) === true,
    toolsRunning: decodeString(props['guest.toolsRunningStatus']) === 'guestToolsRunning',
    ...(ipAddress ? { ipAddress } : {}),
    ...(image ? { image } : {}),
    managed: image !== undefined,
  };
}

/**
 * Whether a record's owner ran on this machine (same host name) in a process that no longer
 * exists. Signal 0 only asks whether the pid exists (EPERM: it does, someone else's).
 */
function ownerGoneHere(owner: string | undefined): boolean {
  const parsed = parseOwner(owner);
  if (!parsed || parsed.host !== hostname() || parsed.pid === process.pid) return false;
  try {
    process.kill(parsed.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
