import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { parseCurrentImageText as parseCurrentImage } from '@provkit/core';
import { formatCurrentImage } from './current-image-text.ts';

describe('currentimage.txt', () => {
  it("writes VCL's format: image name, then key=value lines, CRLF", () => {
    const text = formatCurrentImage({ image: 'win10-base-v3', properties: { id: '42', imagerevision_id: '7', prettyname: 'Windows 10 (base)' }, postLoadDone: false });
    expect(text).toBe('win10-base-v3\r\nid=42\r\nimagerevision_id=7\r\nprettyname=Windows 10 (base)\r\n');
  });

  it('records post-load as vcld_post_load=success (<epoch>) and drops it when not done', () => {
    const now = new Date('2026-11-23T03:00:00Z');
    expect(formatCurrentImage({ image: 'w-v1', properties: {}, postLoadDone: true }, now)).toBe(`w-v1\r\nvcld_post_load=success (${now.getTime() / 1000})\r\n`);
    expect(formatCurrentImage({ image: 'w-v1', properties: { vcld_post_load: 'success (1)' }, postLoadDone: false })).toBe('w-v1\r\n');
  });

  it('round-trips through parse, with LF or CRLF and a BOM', () => {
    const info = { image: 'win2019-v12', properties: { id: '9', vcld_post_load: 'success (1700000000)' }, postLoadDone: true };
    expect(parseCurrentImage(formatCurrentImage(info))).toEqual(info);
    expect(parseCurrentImage('\uFEFFwin2019-v12\nid=9\n')).toEqual({ image: 'win2019-v12', properties: { id: '9' }, postLoadDone: false });
    expect(parseCurrentImage('\r\n')).toBeUndefined();
  });

  it('refuses a bad image name, key or multi-line value', () => {
    expect(() => formatCurrentImage({ image: 'no revision', properties: {}, postLoadDone: false })).toThrow(InvalidInputError);
    expect(() => formatCurrentImage({ image: 'w-v1', properties: { 'a b': 'x' }, postLoadDone: false })).toThrow(InvalidInputError);
    expect(() => formatCurrentImage({ image: 'w-v1', properties: { a: 'x\r\nimage=evil' }, postLoadDone: false })).toThrow(InvalidInputError);
  });
});
