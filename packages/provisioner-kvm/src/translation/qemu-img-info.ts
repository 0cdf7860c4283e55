import { UnexpectedOutputError } from '@provkit/core';

/** One image of `qemu-img info --output=json [--backing-chain]`. */
export interface QemuImageInfo {
  filename: string;
  format: string;
  virtualBytes: number;
  allocatedBytes: number;
  /** The backing file as recorded (may be relative), when the image has one. */
  backingFilename?: string;
  /** The backing file resolved to a full path by qemu-img. */
  fullBackingFilename?: string;
  backingFormat?: string;
}

function one(value: unknown): QemuImageInfo {
  const record = value as Record<string, unknown>;
  if (typeof record !== 'object' || record === null || typeof record.filename !== 'string' || typeof record['virtual-size'] !== 'number') {
    throw new UnexpectedOutputError('qemu-img info', JSON.stringify(value) ?? String(value), 'an entry without filename or virtual-size');
  }
  const info: QemuImageInfo = {
    filename: record.filename,
    format: String(record.format),
    virtualBytes: record['virtual-size'],
    allocatedBytes: typeof record['actual-size'] === 'number' ? record['actual-size'] : 0,
  };
  if (typeof record['backing-filename'] === 'string') info.backingFilename = record['backing-filename'];
  if (typeof record['full-backing-filename'] === 'string') info.fullBackingFilename = record['full-backing-filename'];
  if (typeof record['backing-filename-format'] === 'string') info.backingFormat = record['backing-filename-format'];
  return info;
}

/**
 * Parses `qemu-img info --output=json`: one object, or with `--backing-chain` an array from
 * the image itself down to its base. Always returns the chain (length 1 for one image).
 */
export function parseQemuImgInfo(output: string): QemuImageInfo[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (error) {
    throw new UnexpectedOutputError('qemu-img info', output, 'not JSON', { cause: error });
  }
  const chain = Array.isArray(parsed) ? parsed.map(one) : [one(parsed)];
  if (chain.length === 0) throw new UnexpectedOutputError('qemu-img info', output, 'an empty backing chain');
  return chain;
}

/**
 * Parses the output of `fileCommands.imageInfoLines`: one `qemu-img info` JSON document a
 * line, or `!<path>` for a file qemu-img could not read (vanished, corrupt, unreadable), kept
 * apart so a caller deciding "is anything using this image?" can refuse to guess.
 */
export function parseImageInfoLines(output: string): { infos: Map<string, QemuImageInfo>; unreadable: string[] } {
  const infos = new Map<string, QemuImageInfo>();
  const unreadable: string[] = [];
  for (const line of output.split('\n').filter(Boolean)) {
    if (line.startsWith('!')) {
      unreadable.push(line.slice(1));
      continue;
    }
    const chain = parseQemuImgInfo(line);
    if (chain.length !== 1) throw new UnexpectedOutputError('qemu-img info', line, 'a backing chain where one image was asked for');
    infos.set(chain[0]!.filename, chain[0]!);
  }
  return { infos, unreadable };
}
