import { parse } from 'yaml';
import { InvalidInputError } from '@provkit/core';
import { parseVmSize, type VmSize } from './vm-size.ts';

/**
 * Reads a sizes file (oVirt's VmSize presets), e.g.
 * `small: { cpus: 2, memory: 262144, storage_size_in_gb: 15 }` (memory in KiB) or
 * `large: { cpus: 4, memory: 8 GiB, disk: 40 GiB }`, and returns the sizes by name.
 * Every entry is validated; the first bad field throws `InvalidInputError` naming it.
 */
export function parseVmSizesYaml(text: string): Map<string, VmSize> {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new InvalidInputError('sizes', `not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new InvalidInputError('sizes', 'expected a mapping of size names to sizes');
  const sizes = new Map<string, VmSize>();
  for (const [name, entry] of Object.entries(document)) sizes.set(name, parseVmSize(name, entry));
  if (sizes.size === 0) throw new InvalidInputError('sizes', 'no size defined');
  return sizes;
}
