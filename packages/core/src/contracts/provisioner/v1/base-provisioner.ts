import { InvalidInputError, UnsupportedFunctionalityError } from '../../../errors/index.ts';
import { mapConcurrent } from '../../../concurrency/index.ts';
import { createEmitter, ProgressReporter, type ProgressEvent, type ProvkitEmitter } from '../../../events/index.ts';
import type { ImageInfo, ImageOperationOptions, ImageSize } from '../../shared/v1/image.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import { checkImage, checkNodeSpec } from '../../shared/v1/operation-input.ts';
import { throwIfAborted } from '../../../wait/index.ts';
import type { ProvisionerCapabilitiesV1 } from './capabilities.ts';
import type { CaptureOptions, CaptureResult } from './capture.ts';
import type { DeleteImageResult, ListImagesOptions, RetrieveImageOptions } from './images.ts';
import type { LoadOptions, LoadResult } from './load.ts';
import type { PowerOffOptions } from './power.ts';
import type { ProvisionerV1 } from './provisioner-v1.ts';
import type { NodeStatusOptions, NodeStatusResult, PowerState } from './status.ts';
import type { NodeStatusEntry, NodeStatusesOptions } from './status-batch.ts';

/** Capabilities a provisioner has unless it says otherwise. */
export const DEFAULT_PROVISIONER_CAPABILITIES: ProvisionerCapabilitiesV1 = {
  linkedClones: false,
  fullClones: true,
  snapshots: false,
  captureWhileOn: false,
  retrieveImage: false,
  discoversAddress: false,
};

/**
 * Base class for provisioners (first- and third-party). It supplies the event emitter,
 * progress reporting and safe defaults for optional members, so that members added to the
 * contract later do not break existing subclasses.
 */
export abstract class BaseProvisioner implements ProvisionerV1 {
  readonly specificationVersion = 'v1' as const;
  abstract readonly provider: string;
  readonly capabilities: ProvisionerCapabilitiesV1;
  readonly events: ProvkitEmitter;

  constructor(capabilities: Partial<ProvisionerCapabilitiesV1> = {}, events: ProvkitEmitter = createEmitter()) {
    this.capabilities = { ...DEFAULT_PROVISIONER_CAPABILITIES, ...capabilities };
    this.events = events;
  }

  abstract nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult>;
  abstract load(options: LoadOptions): Promise<LoadResult>;
  abstract capture(options: CaptureOptions): Promise<CaptureResult>;
  abstract unload(options: NodeOperationOptions): Promise<void>;
  abstract powerOn(options: NodeOperationOptions): Promise<void>;
  abstract powerOff(options: PowerOffOptions): Promise<void>;
  abstract powerStatus(options: NodeOperationOptions): Promise<PowerState>;
  abstract getImageSize(options: ImageOperationOptions): Promise<ImageSize>;
  abstract listImages(options?: ListImagesOptions): Promise<ImageInfo[]>;
  abstract deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult>;

  /**
   * Default: `nodeStatus` per node, `concurrency` at a time (default 8). The `osModule` option
   * is for provisioners that take one per call; this default leaves it to `nodeStatus`.
   */
  async nodeStatuses(options: NodeStatusesOptions): Promise<NodeStatusEntry[]> {
    const { nodes, osModule: _osModule, concurrency = 8, ...each } = options;
    if (!Array.isArray(nodes)) throw new InvalidInputError('nodes', 'must be an array of nodes');
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidInputError('concurrency', 'must be a positive integer');
    return mapConcurrent(nodes, concurrency, async (node) => ({ node: node.name, status: await this.nodeStatus({ ...each, node }) }));
  }

  /** Default: a hard power-off followed by power-on (input and signal checked first). */
  async powerReset(options: NodeOperationOptions): Promise<void> {
    checkNodeSpec(options.node);
    throwIfAborted(options.signal, `reset of ${options.node.name}`);
    await this.powerOff({ ...options, mode: 'hard' });
    await this.powerOn(options);
  }

  /**
   * Default: the provisioner keeps no record of the loaded image, so `undefined` for a node
   * that exists; {@link powerStatus} answers whether it does (`NodeNotFoundError` if not).
   * Input and signal are checked first.
   */
  async getCurrentImage(options: NodeOperationOptions): Promise<string | undefined> {
    checkNodeSpec(options.node);
    throwIfAborted(options.signal, `current image of ${options.node.name}`);
    await this.powerStatus(options);
    return undefined;
  }

  /** Default: checks the name and the signal, then looks the name up in {@link listImages}. */
  async doesImageExist(options: ImageOperationOptions): Promise<boolean> {
    checkImage(options.image);
    throwIfAborted(options.signal, `lookup of ${options.image}`);
    const images = await this.listImages(options.signal ? { signal: options.signal } : {});
    return images.some((image) => image.name === options.image);
  }

  /** Default: unsupported (bad input and an aborted signal are answered first, as everywhere). */
  async retrieveImage(options: RetrieveImageOptions): Promise<void> {
    checkImage(options.image);
    throwIfAborted(options.signal, `retrieval of ${options.image}`);
    throw new UnsupportedFunctionalityError('retrieveImage', this.provider);
  }

  /** Default: nothing to release. */
  async close(): Promise<void> {}

  /** A progress reporter for one operation, emitting on {@link events} and `onProgress`. */
  protected progress(operation: string, subject: { node?: string; image?: string }, onProgress?: (event: ProgressEvent) => void): ProgressReporter {
    return new ProgressReporter(this.events, { operation, ...subject }, onProgress);
  }
}
