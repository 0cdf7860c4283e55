import { formatCurrentImageText, type CurrentImageInfo } from '@provkit/core';

/** Formats VCL's `currentimage.txt` for Windows: core's one formatter, with CRLF line ends. */
export function formatCurrentImage(info: CurrentImageInfo, now: Date = new Date()): string {
  return formatCurrentImageText(info, { now, lineEnding: 'crlf' });
}
