import { UnexpectedOutputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { parseLeftoverListing, parseProcessList, parseSha256sum } from './base-tools-output.ts';

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

// Printed by leftoverCommands.listing's three finds (findutils 4.9) on this machine.
describe('parseLeftoverListing', () => {
  it('reads each line as a kind and a name or path', () => {
    const output = 'node-file web-1.console.log\nnode-file web 1.qcow2\nintent /nodes/.provkit/web-2.intent.json\npartial .base-v1.qcow2.part-0a1b2c3d\n';
    expect(parseLeftoverListing(output)).toEqual([
      { kind: 'node-file', name: 'web-1.console.log' },
      { kind: 'node-file', name: 'web 1.qcow2' },
      { kind: 'intent', name: '/nodes/.provkit/web-2.intent.json' },
      { kind: 'partial', name: '.base-v1.qcow2.part-0a1b2c3d' },
    ]);
    expect(parseLeftoverListing('')).toEqual([]);
  });
  it('refuses a line of another kind', () => {
    expect(() => parseLeftoverListing('find: /nodes: Permission denied\n')).toThrow(UnexpectedOutputError);
  });
});

// procps-ng 4.0 `ps -eo pid=,args=` on this machine: pids right-aligned, arguments as given.
describe('parseProcessList', () => {
  it('reads the pid and the whole command line of each process', () => {
    const output = '    2 [kthreadd]\n 3565 /usr/sbin/slapd -f /tmp/provkit-lab/slapd/slapd.conf -h ldap://127.0.0.1:37519/\n';
    expect(parseProcessList(output)).toEqual([
      { pid: 2, command: '[kthreadd]' },
      { pid: 3565, command: '/usr/sbin/slapd -f /tmp/provkit-lab/slapd/slapd.conf -h ldap://127.0.0.1:37519/' },
    ]);
    expect(parseProcessList('\n')).toEqual([]);
  });
});
