import type { OperationOptions } from './node.ts';

/** Sizes of an image. */
export interface ImageSize {
  /** The disk size a guest sees. */
  virtualBytes: number;
  /** What the image's files take on the host's storage. */
  allocatedBytes: number;
}

/** One image in a library. */
export interface ImageInfo extends ImageSize {
  /** `<name>-v<revision>`. */
  name: string;
  base: string;
  revision: number;
  /** Format or kind, e.g. `qcow2`, `template`. */
  format: string;
}

/** Options of operations on one image. */
export interface ImageOperationOptions extends OperationOptions {
  /** `<name>-v<revision>`. */
  image: string;
}
