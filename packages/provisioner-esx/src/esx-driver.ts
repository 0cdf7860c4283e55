import type { ImageInfo, ImageSize, PowerState } from '@provkit/core';

/** What a back end knows about a node. */
export interface EsxNodeFacts {
  power: PowerState;
  /** The name belongs to a template (an image), not to a node: never touch it as one. */
  isTemplate: boolean;
  toolsRunning: boolean;
  ipAddress?: string;
  /** The image the node was loaded from, as recorded on the host at load. */
  image?: string;
  /**
   * provkit created this VM: it carries provkit's marker (the `provkit.image` extraConfig / .vmx
   * key written at load). Only such a VM is ever replaced or destroyed by provkit.
   */
  managed: boolean;
  /**
   * The operation that made the VM, from its ownership record (vSphere API back end; absent
   * for a VM made before the record existed, which counts as ready). `alive`: the operation
   * is still known to run (its lease holds, or its clone ended less than a lease ago).
   */
  operation?: { id?: string; owner?: string; state: 'loading' | 'ready'; alive: boolean };
}

/** The load that makes a node (or the capture that makes a temporary copy), as recorded on it (see `ownership-record.ts`). */
export interface LoadOperation {
  /** Random id: a clean-up destroys a VM only when it carries this id. */
  id: string;
  /** The orchestrator, `host/pid`. */
  owner: string;
  /** How long the record says the load is alive without a renewal. */
  leaseMs: number;
}

/** What {@link EsxDriver.destroyOwned} did. */
export type DestroyOwnedOutcome = 'destroyed' | 'absent' | 'not-ours';

/**
 * Something provkit left behind on the endpoint: a VM whose load died before it ended, or the
 * temporary copy of a capture that died before it renamed the copy to its image.
 */
export interface EsxLeftover {
  /**
   * `node`: a VM of the nodes folder whose load is no longer alive. `capture`: a temporary copy
   * (`<image>~capture-<hex>`, VM or already a template) in the images folder whose capture is no
   * longer alive.
   */
  kind: 'node' | 'capture';
  name: string;
  /** For a `capture` leftover: the image it was to become. */
  image?: string;
  operation: string | undefined;
  owner: string | undefined;
  /** Whether `leftovers({ remove: true })` destroyed it. */
  removed: boolean;
}

/** What `createNode` makes. */
export interface CreateNodeRequest {
  node: string;
  image: string;
  diskMode: 'linked' | 'full';
  /** The load making it: recorded on the VM (back ends that keep the record). */
  operation?: LoadOperation;
}

/** Hardware changes of `resizeNode`. */
export interface NodeHardware {
  cpus?: number;
  memoryMB?: number;
}

/** Call options of the back ends. */
export interface DriverCallOptions {
  signal?: AbortSignal;
}

/** Options of {@link EsxDriver.captureNode}. */
export interface CaptureNodeOptions extends DriverCallOptions {
  /** The capture, recorded on its temporary copy (back ends that keep the record). */
  operation?: LoadOperation;
}

/**
 * The host operations {@link EsxProvisioner} is built on. Two back ends implement it: the
 * vSphere API (`VimDriver`, vCenter or a licensed ESXi) and `vim-cmd`/`vmkfstools` over SSH
 * (`VimCmdDriver`, an ESXi whose API is read-only under the free license). Inputs arrive
 * validated; the provisioner orders the steps, serializes them and cleans up on failure.
 */
export interface EsxDriver {
  /** `api` or `ssh`. */
  readonly kind: 'api' | 'ssh';
  readonly supportsLinkedClones: boolean;
  /** Sizes of an image, or `undefined` when the library lacks it. */
  imageInfo(image: string, options?: DriverCallOptions): Promise<ImageInfo | undefined>;
  listImages(options?: DriverCallOptions): Promise<ImageInfo[]>;
  /** Deletes an image; ImageNotFoundError if absent, ImageInUseError while a linked node uses it. */
  deleteImage(image: string, options?: DriverCallOptions): Promise<void>;
  /** Facts of a node, or `undefined` when no VM has that name. */
  nodeFacts(node: string, options?: DriverCallOptions): Promise<EsxNodeFacts | undefined>;
  /** Optional: the facts of every node, by name, in one request to the host. */
  nodesFacts?(options?: DriverCallOptions): Promise<Map<string, EsxNodeFacts>>;
  /** Creates the node from the image, powered off. NodeExistsError / ImageNotFoundError. */
  createNode(request: CreateNodeRequest, options?: DriverCallOptions): Promise<void>;
  /** Sets cpus and memory of a powered-off node. */
  resizeNode(node: string, hardware: NodeHardware, options?: DriverCallOptions): Promise<void>;
  /** Powers the node off if needed and deletes it with its own files; false when there was none. */
  destroyNode(node: string, options?: DriverCallOptions): Promise<boolean>;
  powerOn(node: string, options?: DriverCallOptions): Promise<void>;
  /** Hard power off. */
  powerOff(node: string, options?: DriverCallOptions): Promise<void>;
  /** Asks VMware Tools to shut the guest down; returns at once. */
  shutdownGuest(node: string, options?: DriverCallOptions): Promise<void>;
  reset(node: string, options?: DriverCallOptions): Promise<void>;
  /** Waits until Tools run and report an IP address. */
  waitForGuest(node: string, options: DriverCallOptions & { timeoutMs: number }): Promise<{ ipAddress: string }>;
  /** Waits until the node is powered off. */
  waitForPowerOff(node: string, options: DriverCallOptions & { timeoutMs: number }): Promise<void>;
  /**
   * Copies the (off) node into the library as `image`, atomically: under a temporary name,
   * made a template, then renamed. Returns the new image's sizes. ImageExistsError if taken.
   */
  captureNode(node: string, image: string, options?: CaptureNodeOptions): Promise<ImageSize>;
  /**
   * Optional (the vSphere API back end): renews the lease of the VM `operation` made, so other
   * orchestrators keep seeing the load alive. NodeNotFoundError when that VM is gone.
   */
  renewLease?(node: string, operation: LoadOperation, options?: DriverCallOptions): Promise<void>;
  /** Optional: records that the load of the VM `operation` made ended well (`ready`). */
  markReady?(node: string, operation: LoadOperation, options?: DriverCallOptions): Promise<void>;
  /**
   * Optional: destroys the node only when it carries `operationId` (the VM this operation
   * made): never a VM of that name another orchestrator made.
   */
  destroyOwned?(node: string, operationId: string, options?: DriverCallOptions): Promise<DestroyOwnedOutcome>;
  /** Optional: what dead loads left on the endpoint; destroyed when `remove`. */
  leftovers?(options: DriverCallOptions & { remove: boolean }): Promise<EsxLeftover[]>;
  close(): Promise<void>;
}
