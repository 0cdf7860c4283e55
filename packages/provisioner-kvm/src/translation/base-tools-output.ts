/**
 * Parsers of the output of the host's base tools (coreutils, findutils, procps), for the lines
 * of `fileCommands` and `leftoverCommands`.
 */
import { UnexpectedOutputError } from '@provkit/core';

/** The digest in `sha256sum -- <path>` output (`<64 hex>  <path>`). */
export function parseSha256sum(output: string, path: string): string {
  const digest = /^\\?([0-9a-f]{64}) [ *]/.exec(output)?.[1];
  if (!digest) throw new UnexpectedOutputError('sha256sum', output, `no digest for ${path}`);
  return digest;
}

/** What `leftoverCommands.listing` prints: a kind and a file name (or, for `intent`, a path) a line. */
export type LeftoverListingKind = 'node-file' | 'intent' | 'partial';

export function parseLeftoverListing(output: string): Array<{ kind: LeftoverListingKind; name: string }> {
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const space = line.indexOf(' ');
      const kind = line.slice(0, space);
      if (space < 0 || (kind !== 'node-file' && kind !== 'intent' && kind !== 'partial')) throw new UnexpectedOutputError('find (leftovers)', output, `an unknown line ${JSON.stringify(line)}`);
      return { kind, name: line.slice(space + 1) };
    });
}

/** `ps -eo pid=,args=` lines: each process's id and command line (lines that are not are skipped). */
export function parseProcessList(output: string): Array<{ pid: number; command: string }> {
  return output.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    return match ? [{ pid: Number(match[1]), command: match[2]! }] : [];
  });
}
