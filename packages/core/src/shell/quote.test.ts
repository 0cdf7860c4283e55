import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.ts';
import { raw, sh, shellJoin, shellQuote } from './quote.ts';

function throughSh(commandLine: string): Buffer {
  return execFileSync('/bin/sh', ['-c', commandLine]);
}

describe('shell quoting', () => {
  it('leaves safe words alone and single-quotes the rest', () => {
    expect(shellQuote('web-1.example')).toBe('web-1.example');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$(reboot)')).toBe(`'$(reboot)'`);
  });

  it('refuses NUL, which no shell can carry', () => {
    expect(() => shellQuote('a\0b')).toThrow(InvalidInputError);
  });

  it('builds command lines with sh``: values quoted, fragments verbatim, arrays as words', () => {
    const name = 'web 1';
    expect(sh`virsh domstate ${name}`.text).toBe(`virsh domstate 'web 1'`);
    expect(sh`rm -f -- ${['a', 'b c']} ${raw('&&')} true`.text).toBe(`rm -f -- a 'b c' && true`);
    expect(shellJoin(['printf', '%s\\n', "x'y"])).toBe(`printf '%s\\n' 'x'\\''y'`);
  });

  it('round-trips any NUL-free string through a real sh -c (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => text.replace(/\0/g, '')), (text) => {
        expect(throughSh(sh`printf %s ${text}`.text).equals(Buffer.from(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
