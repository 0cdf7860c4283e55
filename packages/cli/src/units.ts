import { InvalidInputError, parseByteQuantity } from '@provkit/core';

/** The units the command line accepts, case-insensitively, spelled as the configuration file spells them. */
const UNITS: Record<string, string> = { b: 'B', kb: 'KB', mb: 'MB', gb: 'GB', tb: 'TB', kib: 'KiB', mib: 'MiB', gib: 'GiB', tib: 'TiB' };

/**
 * Parses a size flag (`--memory 2GiB`, `--disk 20GB`) into bytes with the configuration file's
 * rules (core's `parseByteQuantity`): `KiB`..`TiB` are binary (1024), `KB`..`TB` decimal (1000),
 * as in YAML's `memory: 2 GiB`; the unit's case does not matter on the command line, a unit is
 * required (a bare number or `2g` would be a guess).
 */
export function parseBytes(field: string, text: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new InvalidInputError(field, `${JSON.stringify(text)} is not a size like 512MiB, 2GiB (binary) or 2GB (decimal)`);
  return parseByteQuantity(field, `${match[1]} ${unit}`);
}

/** Parses a whole-number flag (`--cpus 2`, `--timeout 60000`, `--port 22`). */
export function parseWholeNumber(field: string, text: string, { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}): number {
  const value = /^\s*[0-9]+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidInputError(field, `${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  return value;
}
