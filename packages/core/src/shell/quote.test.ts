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

  it('quotes a word sh would read as an assignment, so argv[0] stays a command name', () => {
    expect(shellQuote('FOO=bar')).toBe(`'FOO=bar'`);
    expect(shellQuote('_x1=')).toBe(`'_x1='`);
    // `=` that cannot start an assignment needs no quotes (keeps command lines readable).
    expect(shellQuote('--output=json')).toBe('--output=json');
    expect(shellQuote('a-b=c')).toBe('a-b=c');
    // Unquoted, `FOO=bar` would be an assignment and exit 0; quoted, it is a missing command (127).
    expect(throughSh(`${shellJoin(['FOO=bar'])} 2>/dev/null; echo $?`).toString()).toBe('127\n');
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
    // Any code point: 'binary-ascii' hits control bytes (U+0000-U+00FF), 'binary' the whole
    // Unicode range; graphemes and shell syntax make the rest.
    const part = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.constantFrom('\r', '\x01', '\x1b', '\x7f', '\n', "'", 'A=1', '$(id)', '\\', '`'),
    );
    const anyText = fc.array(part, { maxLength: 6 }).map((parts) => parts.join('').replace(/\0/g, ''));
    fc.assert(
      fc.property(anyText, (text) => {
        expect(throughSh(sh`printf %s ${text}`.text).equals(Buffer.from(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
  }, 60_000); // 300/500 generated cases: seconds on a quiet machine, more under a loaded one
});
