import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarkerScanner } from './marker-scanner.ts';

describe('MarkerScanner', () => {
  it('passes every byte before the marker and returns the rest, however the stream is cut (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), (before, after, cuts) => {
        const marker = Buffer.from('pk0123456789abcdef E ');
        // Bytes that look like the marker's beginning must still reach the output.
        const body = Buffer.concat([Buffer.from(before), marker.subarray(0, 5), Buffer.from(before)]);
        const stream = Buffer.concat([body, marker, Buffer.from(after)]);
        const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
        const scanner = new MarkerScanner(marker);
        const out: Buffer[] = [];
        let rest: Buffer | undefined;
        let from = 0;
        for (const point of [...points, stream.length]) {
          if (scanner.found) break;
          const result = scanner.push(stream.subarray(from, point));
          out.push(result.data);
          rest = result.rest;
          from = point;
        }
        expect(scanner.found).toBe(true);
        expect(Buffer.concat(out).equals(body)).toBe(true);
        expect(Buffer.concat([rest!, stream.subarray(from)]).equals(Buffer.from(after))).toBe(true);
      }),
    );
  });

  it('holds back a partial marker at a chunk end until the next chunk decides', () => {
    const scanner = new MarkerScanner(Buffer.from('END'));
    expect(scanner.push(Buffer.from('abcEN')).data.toString()).toBe('abc');
    expect(scanner.push(Buffer.from('x')).data.toString()).toBe('ENx');
    const last = scanner.push(Buffer.from('yEND!'));
    expect(last.data.toString()).toBe('y');
    expect(last.rest?.toString()).toBe('!');
  });
});
