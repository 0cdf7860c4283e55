import fc from 'fast-check';
import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { ps, psQuote, psRaw } from './quote.ts';

const QUOTES = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);

/**
 * Reads one single-quoted literal the way PowerShell's tokenizer does (about_Quoting_Rules:
 * any of the five single-quote characters opens and closes it; two in a row stand for one)
 * and returns its value and the rest of the text.
 */
function readLiteral(text: string): { value: string; rest: string } {
  if (!QUOTES.has(text[0]!)) throw new Error('not a single-quoted literal');
  let value = '';
  for (let index = 1; index < text.length; index++) {
    const char = text[index]!;
    if (!QUOTES.has(char)) {
      value += char;
      continue;
    }
    if (QUOTES.has(text[index + 1] ?? '')) {
      value += char;
      index++;
      continue;
    }
    return { value, rest: text.slice(index + 1) };
  }
  throw new Error('unterminated literal');
}

describe('psQuote', () => {
  it('quotes plain text in single quotes', () => {
    expect(psQuote('alice')).toBe("'alice'");
    expect(psQuote('')).toBe("''");
  });

  it('doubles ASCII and typographic single quotes, leaves $, ` and " alone', () => {
    expect(psQuote("o'brien")).toBe("'o''brien'");
    expect(psQuote('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(psQuote('$env:PATH `n "x"')).toBe('\'$env:PATH `n "x"\'');
  });

  it('refuses NUL', () => {
    expect(() => psQuote('a\0b')).toThrow(InvalidInputError);
  });

  it('reads back as exactly the input for any text (property)', () => {
    const quoteHeavy = fc.string({ unit: fc.constantFrom("'", '\u2018', '\u2019', '\u201A', '\u201B', '"', '$', '`', ';', 'a', '\n', ' ') });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), quoteHeavy), (value) => {
        fc.pre(!value.includes('\0'));
        const { value: read, rest } = readLiteral(psQuote(value) + '; next');
        expect(read).toBe(value);
        expect(rest).toBe('; next');
      }),
      { numRuns: 500 },
    );
  }, 60_000); // 300/500 generated cases: seconds on a quiet machine, more under a loaded one
});

describe('ps template', () => {
  it('quotes strings, writes numbers, booleans and arrays as PowerShell literals, inserts fragments verbatim', () => {
    const fragment = ps`Remove-LocalUser -Name ${"x'y"}; Start-Sleep ${3}; if (${true}) { $a = ${['a', 2]} }; ${psRaw('$env:TEMP')}`;
    expect(fragment.text).toBe("Remove-LocalUser -Name 'x''y'; Start-Sleep 3; if ($true) { $a = @('a', 2) }; $env:TEMP");
  });

  it('refuses non-finite numbers', () => {
    expect(() => ps`${Number.NaN}`).toThrow(InvalidInputError);
  });
});
