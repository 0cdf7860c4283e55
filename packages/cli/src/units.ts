import { InvalidInputError } from '@provkit/core';

const UNITS: Record<string, number> = { b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };

/** Parses `512MiB`, `1 GiB`, `2g` or plain bytes into bytes (binary units). */
export function parseBytes(field: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] || 'b').toLowerCase()];
  if (!match || unit === undefined) throw new InvalidInputError(field, `${JSON.stringify(text)} is not a size like 512MiB or 2GiB`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes <= 0) throw new InvalidInputError(field, 'must be positive');
  return bytes;
}
