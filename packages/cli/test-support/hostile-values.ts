/**
 * fast-check arbitraries of hostile values for the whole-surface property tests: every value
 * here is invalid for the parameter kind it is generated for, so a module must refuse it
 * (typed error) before any command or request.
 */
import { createEmitter, Secret } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import fc from 'fast-check';

/** One character or sequence that no name, image, user name, host or IP address may hold. */
const NAME_BREAKERS = [
  ';', '$(', '`', '&', '|', '<', '>', '"', "'", '\\', ' ', '*', '?', '(', ')', '{', '}', '[', ']', '!', '#', '%', '^', '~', '=', ',', '+', '/', '..', ':',
  '\n', '\r', '\t', '\0', '\u0007', '\u001b', '\u007f', '\u0085', '\u00a0', '\u200b', '\u2028', '\u202e', '\ufeff', 'é', '😀',
  '<!--', ']]>', '&amp;', '*)(', '(|(uid=*))', '$env:PATH', '@(', '%COMSPEC%', '!VAR!', '^&', '${IFS}', '\\\\?\\',
];

/** What breaks every absolute POSIX path: control characters and `..` segments (or not absolute at all). */
const PATH_BREAKERS = ['\n', '\r', '\t', '\0', '\u0001', '\u001b', '\u007f', '\u0085', '/../'];

/** Object prototype keys, as names and as own keys of objects. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];

/** Values of the wrong JavaScript type for anything (a string, number, object or list field). */
export const wrongType = (): fc.Arbitrary<unknown> =>
  fc.constantFrom<unknown>(null, true, false, 10n, Symbol('hostile'), () => 'x', new Date(0), /re/, Number.NaN, new Map(), Buffer.from('x'));

/** A string holding at least one character no name-like parameter accepts, anywhere in it. */
export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...NAME_BREAKERS), fc.string({ maxLength: 8 })).map(([a, bad, b]) => `${a}${bad}${b}`),
    fc.constantFrom('', '-rf', '.hidden', '..', '../../etc/passwd', 'a'.repeat(300), 'x'.repeat(100_000), 'ok\u0000', 'café', 'ǅ'),
  );

/** An invalid node / domain / VM name (also invalid as an image name or a user name). */
export const badName = (): fc.Arbitrary<unknown> => fc.oneof(hostileString(), wrongType(), fc.constantFrom<unknown>(42, [], {}, ['web-1']));

/** An invalid image name: anything invalid as a name, plus well-formed names without a revision. */
export const badImage = (): fc.Arbitrary<unknown> => fc.oneof(badName(), fc.constantFrom('debian12', 'base-v', 'base-vx', 'base-v1234567', ...PROTOTYPE_KEYS));

/** An invalid IP address (grant addresses): names, CIDR, zone ids, hostile text. */
export const badIp = (): fc.Arbitrary<unknown> =>
  fc.oneof(hostileString(), wrongType(), fc.constantFrom('fe80::1%eth0', 'fe80::1%25eth0', '10.0.0.0/8', '192.0.2.300', 'example.org', ' 192.0.2.1', '192.0.2.1 ', '::ffff:1.2.3.4;'));

/** An invalid host (node address host). */
export const badHost = (): fc.Arbitrary<unknown> => fc.oneof(hostileString().filter((text) => !/^[0-9a-fA-F:.]*$/.test(text) || text === ''), wrongType());

/** An invalid TCP port. */
export const badPort = (): fc.Arbitrary<unknown> => fc.oneof(wrongType(), fc.constantFrom<unknown>(0, -1, 65536, 22.5, '22', Infinity, 2 ** 53, []));

/** An invalid duration in milliseconds (negative, NaN, fractional, a string...). */
export const badTimeout = (): fc.Arbitrary<unknown> =>
  fc.oneof(wrongType(), fc.constantFrom<unknown>(-1, -1000, 1.5, Infinity, -Infinity, 'soon', '1000', [], {}, 2 ** 53), fc.double({ max: -0.001, noNaN: true }));

/** An invalid node: wrong shape, bad name, or a bad address. */
export const badNode = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    wrongType(),
    fc.constantFrom<unknown>('web-1', [], 42),
    badName().map((name) => ({ name, address: { host: '192.0.2.10' } })),
    badHost().map((host) => ({ name: 'web-1', address: { host } })),
    badPort().map((port) => ({ name: 'web-1', address: { host: '192.0.2.10', port } })),
    fc.constantFrom<unknown>({ name: 'web-1', address: null }, { name: 'web-1', address: '192.0.2.10' }, { name: 'web-1', address: [] }, JSON.parse('{"__proto__": {"name": "web-1"}}')),
  );

/** An invalid size (object with bad members, or not an object). */
export const badSize = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    wrongType(),
    fc.constantFrom<unknown>('big', [], 4),
    badTimeout().map((cpus) => ({ cpus })),
    fc.constantFrom<unknown>({ cpus: 0 }, { cpus: 1e9 }, { memoryBytes: -1 }, { memoryBytes: 1 }, { diskBytes: 'lots' }, JSON.parse('{"__proto__": {"cpus": 2}, "cpus": -3}')),
  );

/** An invalid absolute POSIX path (directories of a host). */
export const badPath = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    wrongType(),
    fc.tuple(fc.constantFrom('/srv/a', '/var/lib/x'), fc.constantFrom(...PATH_BREAKERS), fc.string({ maxLength: 6 })).map(([a, bad, b]) => `${a}${bad}${b}`),
    fc.constantFrom<unknown>('relative/dir', '', '~/images', 'C:\\images', '/srv/a/..', `/${'a'.repeat(5000)}`),
  );

/** An invalid options object of an operation. */
export const badOptions = (): fc.Arbitrary<unknown> => fc.oneof(wrongType(), fc.constantFrom<unknown>('node', 42, []));

/** An invalid AbortSignal. */
export const badSignal = (): fc.Arbitrary<unknown> => fc.constantFrom<unknown>('stop', 1, {}, { aborted: true }, [], null);

/** An invalid list of strings (or of ports). */
export const badList = (): fc.Arbitrary<unknown> => fc.oneof(wrongType(), fc.constantFrom<unknown>('a,b', 'machine-id', {}, [null], [1, 'x'], ['ok', 10n]));

/** A password that no module may accept: not a Secret, or a Secret with a line break or NUL. */
export const badPassword = (): fc.Arbitrary<unknown> =>
  fc.oneof(wrongType(), fc.constantFrom<unknown>('plain-text', 42, {}, Secret.of('a\nb'), Secret.of('x\0y'), Secret.of('')));

/** An invalid customization (shape errors every OS module refuses). */
export const badCustomization = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    wrongType(),
    fc.constantFrom<unknown>('x', [], { users: 'alice' }, { users: [null] }, { users: [{ username: '' }] }, { users: [{ username: 'a', password: 'plain' }] }, { firstBootCommand: 'reboot' }, { firstBootCommand: [] }, { sshAuthorizedKeys: 'ssh-ed25519 AAAA' }, { hostname: '' }),
    hostileString().map((hostname) => ({ hostname })),
  );

/** One of a fixed set of names, as hostile text (enums: mode, endState, diskMode). */
export const badEnum = (): fc.Arbitrary<unknown> => fc.oneof(wrongType(), fc.constantFrom<unknown>(...PROTOTYPE_KEYS, 'ON', 'suspend', '', 'off;reboot'));

/** A runner that records every attempt (commands and transfers) and runs nothing. */
export function recordingRunner(calls: string[], target = 'root@host:22'): CommandRunner {
  const record = (what: string) => async (): Promise<never> => {
    calls.push(what);
    throw new Error('no command may run in this test');
  };
  return { target, events: createEmitter(), run: record('run'), writeFile: record('writeFile'), uploadFile: record('uploadFile'), downloadFile: record('downloadFile') };
}
