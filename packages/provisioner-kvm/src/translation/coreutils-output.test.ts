import { UnexpectedOutputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { parseSha256sum } from './coreutils-output.ts';

// Output of GNU coreutils 9.1 sha256sum on this machine (Debian 12), as printed.
describe('parseSha256sum', () => {
  it('reads the digest of a plain path', () => {
    expect(parseSha256sum('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  /tmp/sha-fx.txt\n', '/tmp/sha-fx.txt')).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
  });
  it('reads the digest of a path sha256sum escaped (a leading backslash, newline or backslash in the name)', () => {
    expect(parseSha256sum('\\87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7  /tmp/nl\\nx\n', '/tmp/nl\nx')).toBe('87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7');
  });
  it('refuses output without a digest', () => {
    expect(() => parseSha256sum('', '/x')).toThrow(UnexpectedOutputError);
    expect(() => parseSha256sum('sha256sum: /x: No such file or directory\n', '/x')).toThrow(/no digest for \/x/);
    expect(() => parseSha256sum('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be0  /x\n', '/x')).toThrow(UnexpectedOutputError);
  });
});
