import { ProvkitError, type ProvkitErrorOptions } from '@provkit/core';

/**
 * The clean-up of a failed operation could not finish within its bound (host unreachable,
 * libvirtd down): what the operation had made and may still be on the host, named one by one.
 * The operation's intent record stays beside the node's disk, so the next operation on the node
 * (in any process) or `leftovers({ remove: true })` finishes the job.
 */
export class LeftBehindError extends ProvkitError {
  readonly node: string;
  /** The domain that may still be defined (and running). */
  readonly domain: string;
  /** Files under nodeDiskDir that may remain, the intent record last. */
  readonly files: readonly string[];
  constructor(node: string, left: { domain: string; files: readonly string[] }, options?: ProvkitErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('INVALID_STATE', `clean-up of node ${node} did not finish; may remain on the host: domain ${left.domain}, ${left.files.join(', ')}${reason}`, options);
    this.name = 'LeftBehindError';
    this.node = node;
    this.domain = left.domain;
    this.files = left.files;
  }
}
