import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.ts';
import { checkAbsolutePath, checkIpAddress, checkName, checkPort, checkPositiveInteger, checkUsername, describeValue, formatImageName, parseImageName } from './validate.ts';
import { checkNode, checkObject, checkOneOf, checkOptionalTimeoutMs, checkSeparateDirectories, checkStringArray, checkTimeoutMs } from './input-shape.ts';

describe('validators', () => {
  it('accepts node names and refuses shell and path characters, naming the field', () => {
    expect(checkName('node.name', 'web-1.lab')).toBe('web-1.lab');
    for (const bad of ['', '-rf', '../etc', 'a/b', 'a b', 'a;b', '$(x)', 'a\nb', 'x'.repeat(64), '.hidden']) {
      expect(() => checkName('node.name', bad)).toThrow(InvalidInputError);
    }
    try {
      checkName('node.name', 'a;b');
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
    expect(checkUsername('username', 'vcl_user-1')).toBe('vcl_user-1');
    for (const bad of ['Root', 'a"b', 'a;b', '1abc', '']) expect(() => checkUsername('username', bad)).toThrow(InvalidInputError);
    expect(checkIpAddress('remoteIp', '192.0.2.7')).toBe('192.0.2.7');
    expect(checkIpAddress('remoteIp', '2001:db8::1')).toBe('2001:db8::1');
    for (const bad of ['192.0.2.300', 'example.org', '10.0.0.0/8', '']) expect(() => checkIpAddress('remoteIp', bad)).toThrow(InvalidInputError);
    expect(checkPort('port', 22)).toBe(22);
    for (const bad of [0, 65536, 2.5, '22']) expect(() => checkPort('port', bad)).toThrow(InvalidInputError);
    expect(checkAbsolutePath('path', '/var/lib/libvirt/images/a.qcow2')).toBe('/var/lib/libvirt/images/a.qcow2');
    for (const bad of ['relative', '/a/../b', '/a\nb']) expect(() => checkAbsolutePath('path', bad)).toThrow(InvalidInputError);
  });

  it('shows numbers JSON cannot spell as they are, not as null', () => {
    expect(() => checkPositiveInteger('size.memoryBytes', Number.NaN)).toThrow('Invalid size.memoryBytes: NaN is not an integer between 1 and');
    expect(() => checkPort('port', Number.POSITIVE_INFINITY)).toThrow('Infinity is not a port number');
  });
});

describe('shape validators (what JavaScript callers get wrong)', () => {
  it('refuses null, wrong types and arrays with InvalidInputError naming the field', () => {
    for (const bad of [null, 'x', 1, [], true]) expect(() => checkObject('size', bad)).toThrow(InvalidInputError);
    expect(() => checkStringArray('ports', 'a,b')).toThrow(InvalidInputError);
    expect(() => checkStringArray('list', ['a', 1])).toThrow(expect.objectContaining({ field: 'list[1]' }));
    expect(checkOneOf('mode', 'on', ['on', 'off'])).toBe('on');
    expect(() => checkOneOf('mode', 'toString', ['on', 'off'])).toThrow(InvalidInputError);
  });

  it('refuses negative, NaN, fractional and string timeouts', () => {
    expect(checkTimeoutMs('timeoutMs', 0)).toBe(0);
    for (const bad of [-1, Number.NaN, 1.5, 'soon', Infinity, null]) expect(() => checkTimeoutMs('timeoutMs', bad)).toThrow(InvalidInputError);
    expect(checkOptionalTimeoutMs('timeoutMs', undefined)).toBeUndefined();
  });

  it('checks nodes, including a null address', () => {
    expect(checkNode('node', { name: 'web-1', address: { host: '10.0.0.1', port: 22 } }).name).toBe('web-1');
    for (const bad of [null, { name: 'a b' }, { name: 'web-1', address: null }, { name: 'web-1', address: { host: 'a;b' } }, { name: 'web-1', address: { host: 'h', port: '22' } }]) {
      expect(() => checkNode('node', bad)).toThrow(InvalidInputError);
    }
  });

  it('refuses IPv6 zone ids, control characters in paths and overlapping directories', () => {
    expect(() => checkIpAddress('remoteIp', 'fe80::1%eth0')).toThrow(InvalidInputError);
    expect(() => checkAbsolutePath('path', '/var/lib/\x01x')).toThrow(InvalidInputError);
    expect(() => checkAbsolutePath('path', '/var/\u0085x')).toThrow(InvalidInputError);
    expect(() => checkSeparateDirectories({ field: 'libraryDir', path: '/srv/img' }, { field: 'nodeDiskDir', path: '/srv/img/' })).toThrow(InvalidInputError);
    expect(() => checkSeparateDirectories({ field: 'libraryDir', path: '/srv/img' }, { field: 'nodeDiskDir', path: '/srv/img/nodes' })).toThrow(InvalidInputError);
    expect(() => checkSeparateDirectories({ field: 'libraryDir', path: '/srv/img/lib' }, { field: 'nodeDiskDir', path: '/srv' })).toThrow(InvalidInputError);
    expect(() => checkSeparateDirectories({ field: 'libraryDir', path: '/srv/img' }, { field: 'nodeDiskDir', path: '/srv/img2' })).not.toThrow();
  });

  it('describes huge and odd values briefly, never throwing itself', () => {
    expect(describeValue('x'.repeat(10_000)).length).toBeLessThan(100);
    expect(describeValue(10n)).toBe('a value of type bigint');
    expect(() => checkName('name', 10n)).toThrow(InvalidInputError);
  });
});
