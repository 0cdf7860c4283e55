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
 * The one byte-quantity parser of provkit (configuration, CLI options, YAML size presets):
 * parses a quantity written with an explicit unit (`2GiB`, `2 GiB`, `512 MiB`, `2GB`,
 * `2 GB`) into bytes. Units are taken exactly as written, as IEC and SI define them: binary
 * `KiB`/`MiB`/`GiB`/`TiB` are powers of 1024, decimal `KB`/`MB`/`GB`/`TB` powers of 1000
 * (so `2GB` is 2·10⁹ bytes and `2GiB` is 2·2³⁰), `B` is bytes; a space between number and
 * unit is optional. A bare number is refused because its unit would be a guess (callers that
 * give bare numbers a unit, like size presets in MiB, say so themselves), as are zero,
 * fractions of a byte, and units in other spellings (`g`, `gb`, `Gb`).
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
