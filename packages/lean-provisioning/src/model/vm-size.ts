import { type SizeSpec, InvalidInputError, checkName, describeValue, parseByteQuantity } from '@provkit/core';

/** A named hardware size (oVirt's VmSize), in counts and bytes. */
export interface VmSize {
  name: string;
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
}

/** Upper bounds that catch unit mistakes (KiB read as bytes and the like). */
const MAX_CPUS = 512;
const MAX_MEMORY_BYTES = 16 * 1024 ** 4;
const MAX_DISK_BYTES = 1024 ** 5;

function positiveInteger(field: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidInputError(field, `expected a positive whole number, got ${describeValue(value)}`);
  }
  if (value > max) throw new InvalidInputError(field, `${value} is above the limit ${max}`);
  return value;
}

function bytes(field: string, value: unknown, max: number, unitOfBareNumber: number): number {
  const result = typeof value === 'number' ? positiveInteger(field, value, max / unitOfBareNumber) * unitOfBareNumber : parseByteQuantity(field, value);
  if (result > max) throw new InvalidInputError(field, `${result} bytes is above the limit ${max}`);
  return result;
}

const KNOWN_KEYS = new Set(['cpus', 'memory', 'storage_size_in_gb', 'disk']);

/**
 * Builds a size from one entry of a sizes file. Bare numbers keep oVirt's units: `memory` in
 * KiB and `storage_size_in_gb` in GiB; strings carry their unit (`memory: 1 GiB`,
 * `disk: 20 GiB`). Unknown keys are refused, so a typo is not silently a default.
 */
export function parseVmSize(name: string, entry: unknown, field = `sizes.${name}`): VmSize {
  checkName(`${field} (name)`, name);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new InvalidInputError(field, 'expected a mapping of cpus, memory and storage_size_in_gb');
  const record = entry as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_KEYS.has(key)) throw new InvalidInputError(`${field}.${key}`, `unknown key (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  if ('disk' in record && 'storage_size_in_gb' in record) throw new InvalidInputError(`${field}.disk`, 'give either disk or storage_size_in_gb, not both');
  const diskKey = 'disk' in record ? 'disk' : 'storage_size_in_gb';
  for (const key of ['cpus', 'memory', diskKey]) {
    if (record[key] === undefined) throw new InvalidInputError(`${field}.${key}`, 'is required');
  }
  return {
    name,
    cpus: positiveInteger(`${field}.cpus`, record.cpus, MAX_CPUS),
    memoryBytes: bytes(`${field}.memory`, record.memory, MAX_MEMORY_BYTES, 1024),
    diskBytes: bytes(`${field}.${diskKey}`, record[diskKey], MAX_DISK_BYTES, diskKey === 'disk' ? 1 : 1024 ** 3),
  };
}

/** The contract's {@link SizeSpec} (bytes) for a size. */
export function toSizeSpec(size: VmSize): SizeSpec {
  return { cpus: size.cpus, memoryBytes: size.memoryBytes, diskBytes: size.diskBytes };
}
