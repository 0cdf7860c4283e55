import { UnexpectedOutputError } from '@provkit/core';

/** The digest in `sha256sum -- <path>` output (`<64 hex>  <path>`). */
export function parseSha256sum(output: string, path: string): string {
  const digest = /^\\?([0-9a-f]{64}) [ *]/.exec(output)?.[1];
  if (!digest) throw new UnexpectedOutputError('sha256sum', output, `no digest for ${path}`);
  return digest;
}
