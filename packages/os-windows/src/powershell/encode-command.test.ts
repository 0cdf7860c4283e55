import fc from 'fast-check';
import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand, MAX_COMMAND_LINE, POWERSHELL_PREFIX } from './encode-command.ts';
import { psRaw } from './quote.ts';

describe('encodeCommand', () => {
  it('builds powershell -NoProfile -NonInteractive -EncodedCommand <base64 of UTF-16LE>', () => {
    const argv = encodeCommand("'hi'");
    expect(argv.slice(0, 4)).toEqual(['powershell', '-NoProfile', '-NonInteractive', '-EncodedCommand']);
    // 'hi' in UTF-16LE: 27 00 68 00 69 00 27 00
    expect(argv[4]).toBe(Buffer.from([0x27, 0, 0x68, 0, 0x69, 0, 0x27, 0]).toString('base64'));
  });

  it('needs no quoting: every word is plain (letters, digits, + / = -), so the line goes to cmd.exe as is', () => {
    const argv = encodeCommand(psRaw('Write-Output "a b" \'c\' $env:X; & cmd /c "echo %PATH%"'));
    for (const word of argv) expect(word).toMatch(/^[A-Za-z0-9+/=-]+$/);
    expect(argv.join(' ')).not.toMatch(/["'%^&|<>]/);
  });

  it('decodes back to exactly the script for any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 500 }), (script) => {
        expect(decodeCommand(encodeCommand(script))).toBe(script);
        expect(decodeCommand(encodeCommand(script).join(' '))).toBe(script);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a script whose command line would pass cmd.exe's limit, before anything runs", () => {
    const fits = 'x'.repeat(3000);
    expect(encodeCommand(fits).join(' ').length).toBeLessThanOrEqual(MAX_COMMAND_LINE);
    expect(() => encodeCommand('x'.repeat(3100))).toThrow(InvalidInputError);
    expect(() => encodeCommand('')).toThrow(InvalidInputError);
  });

  it('decodeCommand rejects lines that are not encoded PowerShell commands', () => {
    expect(decodeCommand('cmd /c dir')).toBeUndefined();
    expect(decodeCommand([...POWERSHELL_PREFIX, 'not base64!'])).toBeUndefined();
    expect(decodeCommand(['pwsh', '-NoProfile', '-NonInteractive', '-EncodedCommand', 'JwA='])).toBeUndefined();
  });
});
