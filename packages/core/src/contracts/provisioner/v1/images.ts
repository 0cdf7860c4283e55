import type { OperationOptions } from '../../shared/v1/node.ts';

/** Where `retrieveImage` copies from: another host's library, reached by its provisioner. */
export interface RetrieveImageOptions extends OperationOptions {
  image: string;
  /** A provisioner of the same kind whose library holds the image. */
  from: unknown;
}

/** Options of `listImages`. */
export interface ListImagesOptions extends OperationOptions {
  /** Only images whose base name is this. */
  base?: string | undefined;
}

/** Result of `deleteImage`. */
export interface DeleteImageResult {
  /** True when the image existed and was removed; false when there was nothing to delete. */
  deleted: boolean;
}
