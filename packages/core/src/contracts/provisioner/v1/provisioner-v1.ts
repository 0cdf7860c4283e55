import type { ProvkitEmitter } from '../../../events/index.ts';
import type { ImageInfo, ImageOperationOptions, ImageSize } from '../../shared/v1/image.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import type { ProvisionerCapabilitiesV1 } from './capabilities.ts';
import type { CaptureOptions, CaptureResult } from './capture.ts';
import type { DeleteImageResult, ListImagesOptions, RetrieveImageOptions } from './images.ts';
import type { LoadOptions, LoadResult } from './load.ts';
import type { PowerOffOptions } from './power.ts';
import type { decideNodeStatus } from './node-status-decision.ts';
import type { NodeStatusOptions, NodeStatusResult, PowerState } from './status.ts';
import type { NodeStatusEntry, NodeStatusesOptions } from './status-batch.ts';

/**
 * Version 1 of the provisioner contract: a module that drives one host (a libvirt server,
 * an ESXi or vCenter) to load images onto nodes, capture nodes as images, and power and
 * tear down nodes. Every method takes one options object with an optional `signal`.
 *
 * A breaking change makes a `ProvisionerV2` beside this one; this one is never edited.
 */
export interface ProvisionerV1 {
  readonly specificationVersion: 'v1';
  /** Provider name, e.g. `kvm`, `esx`. */
  readonly provider: string;
  readonly capabilities: ProvisionerCapabilitiesV1;
  /** `progress`, `command` and `warning` events. */
  readonly events: ProvkitEmitter;

  /**
   * Is the node ready for a user? See {@link NodeStatusResult}; the decision is core's
   * {@link decideNodeStatus}, the same in every module.
   */
  nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult>;
  /**
   * Optional: the status of many nodes at once, in the order given, asking the host in a
   * constant number of requests (the guests are still probed one SSH connection each).
   * {@link BaseProvisioner} supplies a default that calls `nodeStatus` per node.
   */
  nodeStatuses?(options: NodeStatusesOptions): Promise<NodeStatusEntry[]>;
  /**
   * Puts `image` onto the node: prepare the disk, define, power on, wait for SSH, run the OS
   * module's `postLoad`. On failure removes what it created and throws `OperationFailedError`
   * naming the step. Bad input is refused before any side effect.
   *
   * A node of that name that provkit manages (it carries provkit's marker), in any state and
   * with any image, is replaced as VCL's load does: powered off, its own disks and definition
   * removed, then loaded afresh (step `node-replaced`). `ifExists: 'refuse'` asks for
   * `NodeExistsError` instead. A node provkit did not create is never touched:
   * `NodeNotManagedError` naming it, whatever `ifExists` says.
   *
   * A customization the OS module cannot apply fails the load; it is never downgraded to a
   * warning.
   */
  load(options: LoadOptions): Promise<LoadResult>;
  /**
   * Generalizes the node (OS module `preCapture`), waits until it is off, and copies its
   * disk into the library atomically as a new standalone image. Refuses an existing name.
   * A capture that cannot generalize (no OS module, no address) is refused with
   * `InvalidInputError` unless the caller asks for an ungeneralized copy with
   * `skipPreCapture: true`.
   *
   * A failure throws `OperationFailedError` naming the step, with nothing left in the library
   * (no partial image). A provisioner that can read the node's state afterwards throws its
   * subclass `CaptureFailedError`, whose `nodeState` (power, generalized) is read from the host,
   * never assumed from the step. Retrying the same call after a failure at any step should
   * converge without extra flags: the provisioner decides from the node's real state (and any
   * record it keeps of an earlier attempt) whether to boot, generalize or only copy.
   */
  capture(options: CaptureOptions): Promise<CaptureResult>;
  /**
   * Powers off, undefines and deletes the node's own disks. Unloading nothing succeeds.
   * A node of that name that provkit did not create (no provkit marker) is refused with
   * `NodeNotManagedError` and left untouched: unload never destroys someone else's VM.
   * Steps: see `UNLOAD_STEPS`.
   */
  unload(options: NodeOperationOptions): Promise<void>;
  powerOn(options: NodeOperationOptions): Promise<void>;
  powerOff(options: PowerOffOptions): Promise<void>;
  powerReset(options: NodeOperationOptions): Promise<void>;
  powerStatus(options: NodeOperationOptions): Promise<PowerState>;
  /**
   * The image the node was loaded with, from the host's records (not the guest's): `undefined`
   * for a node that exists but carries no such record (one provkit did not load).
   * A node that does not exist is `NodeNotFoundError`, as for the power operations.
   */
  getCurrentImage(options: NodeOperationOptions): Promise<string | undefined>;
  getImageSize(options: ImageOperationOptions): Promise<ImageSize>;
  doesImageExist(options: ImageOperationOptions): Promise<boolean>;
  /** Copies an image from another host's library into this one, verified. */
  retrieveImage(options: RetrieveImageOptions): Promise<void>;
  listImages(options?: ListImagesOptions): Promise<ImageInfo[]>;
  /**
   * Deletes an image; refused with `ImageInUseError` while a node still depends on it.
   * Idempotent like `unload`: deleting an image that does not exist succeeds with
   * `{ deleted: false }`.
   */
  deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult>;
  /** Releases connections. */
  close(): Promise<void>;
}
