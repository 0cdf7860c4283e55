import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../errors/index.ts';
import { formatCurrentImageText, parseCurrentImageText, postLoadRecord } from './current-image-text.ts';

describe("VCL's currentimage.txt (the one parser and formatter)", () => {
  it('parses the image name and key=value lines, with or without CRLF, a BOM or leading blank lines', () => {
    const text = 'vmwarelinux-centos7-1234-v3\r\nid=1234\r\nimagerevision_id=5678\r\nprettyname=CentOS 7 = Base\r\nvcld_post_load=success (1389123456)\r\n';
    expect(parseCurrentImageText(text)).toEqual({
      image: 'vmwarelinux-centos7-1234-v3',
      properties: { id: '1234', imagerevision_id: '5678', prettyname: 'CentOS 7 = Base', vcld_post_load: 'success (1389123456)' },
      postLoadDone: true,
    });
    expect(parseCurrentImageText('\uFEFFwin2019-v12\nid=9\n')).toEqual({ image: 'win2019-v12', properties: { id: '9' }, postLoadDone: false });
    expect(parseCurrentImageText('\n\nbase-v1\nnot a property\nbad key=x\nid=1\n')).toEqual({ image: 'base-v1', properties: { id: '1' }, postLoadDone: false });
    expect(parseCurrentImageText('')).toBeUndefined();
    expect(parseCurrentImageText('\r\n\n')).toBeUndefined();
  });

  it('formats what it parses, stamping vcld_post_load when post-load is done, with LF or CRLF', () => {
    const now = new Date(1_700_000_000_000);
    const text = formatCurrentImageText({ image: 'base-v1', properties: { id: '7' }, postLoadDone: true }, { now });
    expect(text).toBe('base-v1\nid=7\nvcld_post_load=success (1700000000)\n');
    expect(parseCurrentImageText(text)).toEqual({ image: 'base-v1', properties: { id: '7', vcld_post_load: postLoadRecord(now) }, postLoadDone: true });
    expect(formatCurrentImageText({ image: 'w-v1', properties: { id: '1' }, postLoadDone: false }, { lineEnding: 'crlf' })).toBe('w-v1\r\nid=1\r\n');
    expect(formatCurrentImageText({ image: 'base-v1', properties: { vcld_post_load: 'success (1)' }, postLoadDone: false })).toBe('base-v1\n');
  });

  it('refuses a bad image name, property name or multi-line value with InvalidInputError naming the field', () => {
    expect(() => formatCurrentImageText({ image: 'a\nb', properties: {}, postLoadDone: false })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'info.image' }));
    expect(() => formatCurrentImageText({ image: 'no-revision', properties: {}, postLoadDone: false })).toThrow(InvalidInputError);
    expect(() => formatCurrentImageText({ image: 'a-v1', properties: { 'bad key': 'x' }, postLoadDone: false })).toThrow(expect.objectContaining({ field: 'info.properties.bad key' }));
    expect(() => formatCurrentImageText({ image: 'a-v1', properties: { id: '1\nvcld_post_load=success (1)' }, postLoadDone: false })).toThrow(expect.objectContaining({ field: 'info.properties.id' }));
  });
});
