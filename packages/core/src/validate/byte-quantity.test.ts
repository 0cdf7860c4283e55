import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.ts';
import { parseByteQuantity } from './byte-quantity.ts';

describe('parseByteQuantity (the one byte-quantity parser)', () => {
  it('reads SI units as powers of 1000 and IEC units as powers of 1024, with or without a space', () => {
    expect(parseByteQuantity('memory', '2GB')).toBe(2_000_000_000);
    expect(parseByteQuantity('memory', '2 GB')).toBe(2_000_000_000);
    expect(parseByteQuantity('memory', '2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteQuantity('memory', '2 GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteQuantity('memory', '512MiB')).toBe(512 * 1024 ** 2);
    expect(parseByteQuantity('disk', '1.5 TB')).toBe(1.5e12);
    expect(parseByteQuantity('disk', '4096 B')).toBe(4096);
  });

  it('refuses bare numbers, other spellings, zero and fractions of a byte, naming the field', () => {
    for (const text of ['2048', '2g', '2gb', '2 Gb', '0 GiB', '0.5 B', 'two GiB', '', '-1 GiB']) {
      expect(() => parseByteQuantity('size.memory', text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'size.memory' }));
    }
    expect(() => parseByteQuantity('size.memory', 2048)).toThrow(InvalidInputError);
  });
});
