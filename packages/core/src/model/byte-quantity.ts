import { describeValue } from '../validate/index.ts';
import { InvalidInputError } from '../errors/index.ts';

const UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

const QUANTITY = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$/;

/**
 * Parses a byte quantity written with an explicit unit (`1 GiB`, `512 MiB`, `20GB`) into
 * bytes. Binary (`KiB`..`TiB`) and decimal (`KB`..`TB`) units are told apart exactly as
 * written; a bare number is refused because its unit would be a guess.
 */
export function parseByteQuantity(field: string, value: unknown): number {
  if (typeof value !== 'string') throw new InvalidInputError(field, `expected a quantity with a unit such as "1 GiB", got ${typeof value}`);
  const match = QUANTITY.exec(value);
  const factor = match ? UNITS[match[2]!] : undefined;
  if (!match || factor === undefined) {
    throw new InvalidInputError(field, `${describeValue(value)} is not a quantity with a unit (${Object.keys(UNITS).join(', ')})`);
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new InvalidInputError(field, `${describeValue(value)} is not a positive whole number of bytes`);
  return bytes;
}
