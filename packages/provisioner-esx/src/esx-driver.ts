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
}

/** What `createNode` makes. */
export interface CreateNodeRequest {
  node: string;
  image: string;
  diskMode: 'linked' | 'full';
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
  captureNode(node: string, image: string, options?: DriverCallOptions): Promise<ImageSize>;
  close(): Promise<void>;
}
