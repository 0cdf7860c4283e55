import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.ts';
import { assertAbsolutePath, assertIpAddress, assertName, assertPort, assertPositiveInteger, assertUsername, describeValue, formatImageName, parseImageName } from './validate.ts';
import { assertNode, assertObject, assertOneOf, assertOptionalTimeoutMs, assertSeparateDirectories, assertStringArray, assertTimeoutMs } from './input-shape.ts';

describe('validators', () => {
  it('accepts node names and refuses shell and path characters, naming the field', () => {
    expect(assertName('node.name', 'web-1.lab')).toBe('web-1.lab');
    for (const bad of ['', '-rf', '../etc', 'a/b', 'a b', 'a;b', '$(x)', 'a\nb', 'x'.repeat(64), '.hidden']) {
      expect(() => assertName('node.name', bad)).toThrow(InvalidInputError);
    }
    try {
      assertName('node.name', 'a;b');
    } catch (error) {
      expect(error).toMatchObject({ field: 'node.name' });
    }
  });

  it('parses image names <name>-v<revision>', () => {
    expect(parseImageName('image', 'debian12-base-v3')).toEqual({ name: 'debian12-base-v3', base: 'debian12-base', revision: 3 });
    expect(formatImageName('win2019', 12)).toBe('win2019-v12');
    for (const bad of ['debian', 'debian-v', 'debian-vx', 'a/b-v1', '..-v1', 'x-v1;rm']) expect(() => parseImageName('image', bad)).toThrow(InvalidInputError);
  });

  it('checks user names, IP addresses, ports and absolute paths', () => {
    expect(assertUsername('username', 'vcl_user-1')).toBe('vcl_user-1');
    for (const bad of ['Root', 'a"b', 'a;b', '1abc', '']) expect(() => assertUsername('username', bad)).toThrow(InvalidInputError);
    expect(assertIpAddress('remoteIp', '192.0.2.7')).toBe('192.0.2.7');
    expect(assertIpAddress('remoteIp', '2001:db8::1')).toBe('2001:db8::1');
    for (const bad of ['192.0.2.300', 'example.org', '10.0.0.0/8', '']) expect(() => assertIpAddress('remoteIp', bad)).toThrow(InvalidInputError);
    expect(assertPort('port', 22)).toBe(22);
    for (const bad of [0, 65536, 2.5, '22']) expect(() => assertPort('port', bad)).toThrow(InvalidInputError);
    expect(assertAbsolutePath('path', '/var/lib/libvirt/images/a.qcow2')).toBe('/var/lib/libvirt/images/a.qcow2');
    for (const bad of ['relative', '/a/../b', '/a\nb']) expect(() => assertAbsolutePath('path', bad)).toThrow(InvalidInputError);
  });

  it('shows numbers JSON cannot spell as they are, not as null', () => {
    expect(() => assertPositiveInteger('size.memoryBytes', Number.NaN)).toThrow('Invalid size.memoryBytes: NaN is not an integer between 1 and');
    expect(() => assertPort('port', Number.POSITIVE_INFINITY)).toThrow('Infinity is not a port number');
  });
});

describe('shape validators (what JavaScript callers get wrong)', () => {
  it('refuses null, wrong types and arrays with InvalidInputError naming the field', () => {
    for (const bad of [null, 'x', 1, [], true]) expect(() => assertObject('size', bad)).toThrow(InvalidInputError);
    expect(() => assertStringArray('ports', 'a,b')).toThrow(InvalidInputError);
    expect(() => assertStringArray('list', ['a', 1])).toThrow(expect.objectContaining({ field: 'list[1]' }));
    expect(assertOneOf('mode', 'on', ['on', 'off'])).toBe('on');
    expect(() => assertOneOf('mode', 'toString', ['on', 'off'])).toThrow(InvalidInputError);
  });

  it('refuses negative, NaN, fractional and string timeouts', () => {
    expect(assertTimeoutMs('timeoutMs', 0)).toBe(0);
    for (const bad of [-1, Number.NaN, 1.5, 'soon', Infinity, null]) expect(() => assertTimeoutMs('timeoutMs', bad)).toThrow(InvalidInputError);
    expect(assertOptionalTimeoutMs('timeoutMs', undefined)).toBeUndefined();
  });

  it('checks nodes, including a null address', () => {
    expect(assertNode('node', { name: 'web-1', address: { host: '10.0.0.1', port: 22 } }).name).toBe('web-1');
    for (const bad of [null, { name: 'a b' }, { name: 'web-1', address: null }, { name: 'web-1', address: { host: 'a;b' } }, { name: 'web-1', address: { host: 'h', port: '22' } }]) {
      expect(() => assertNode('node', bad)).toThrow(InvalidInputError);
    }
  });

  it('refuses IPv6 zone ids, control characters in paths and overlapping directories', () => {
    expect(() => assertIpAddress('remoteIp', 'fe80::1%eth0')).toThrow(InvalidInputError);
    expect(() => assertAbsolutePath('path', '/var/lib/\x01x')).toThrow(InvalidInputError);
    expect(() => assertAbsolutePath('path', '/var/\u0085x')).toThrow(InvalidInputError);
    expect(() => assertSeparateDirectories({ field: 'libraryDir', path: '/srv/img' }, { field: 'nodeDiskDir', path: '/srv/img/' })).toThrow(InvalidInputError);
    expect(() => assertSeparateDirectories({ field: 'libraryDir', path: '/srv/img' }, { field: 'nodeDiskDir', path: '/srv/img/nodes' })).toThrow(InvalidInputError);
    expect(() => assertSeparateDirectories({ field: 'libraryDir', path: '/srv/img/lib' }, { field: 'nodeDiskDir', path: '/srv' })).toThrow(InvalidInputError);
    expect(() => assertSeparateDirectories({ field: 'libraryDir', path: '/srv/img' }, { field: 'nodeDiskDir', path: '/srv/img2' })).not.toThrow();
  });

  it('describes huge and odd values briefly, never throwing itself', () => {
    expect(describeValue('x'.repeat(10_000)).length).toBeLessThan(100);
    expect(describeValue(10n)).toBe('a value of type bigint');
    expect(() => assertName('name', 10n)).toThrow(InvalidInputError);
  });
});
