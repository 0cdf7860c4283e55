import { describe, expect, it } from 'vitest';
import { formatCurrentImageText, parseCurrentImageText } from './current-image-text.ts';

describe("VCL's currentimage.txt", () => {
  it('parses the image name and key=value lines, with or without CRLF', () => {
    const text = 'vmwarelinux-centos7-1234-v3\r\nid=1234\r\nimagerevision_id=5678\r\nprettyname=CentOS 7 Base\r\nvcld_post_load=success (1389123456)\r\n';
    expect(parseCurrentImageText(text)).toEqual({
      image: 'vmwarelinux-centos7-1234-v3',
      properties: { id: '1234', imagerevision_id: '5678', prettyname: 'CentOS 7 Base', vcld_post_load: 'success (1389123456)' },
      postLoadDone: true,
    });
    expect(parseCurrentImageText('')).toBeUndefined();
    expect(parseCurrentImageText('base-v1\nid=1\n')?.postLoadDone).toBe(false);
  });

  it('formats what it parses, stamping vcld_post_load when post-load is done', () => {
    const now = new Date(1_700_000_000_000);
    const text = formatCurrentImageText({ image: 'base-v1', properties: { id: '7' }, postLoadDone: true }, now);
    expect(text).toBe('base-v1\nid=7\nvcld_post_load=success (1700000000)\n');
    expect(parseCurrentImageText(text)).toEqual({ image: 'base-v1', properties: { id: '7', vcld_post_load: 'success (1700000000)' }, postLoadDone: true });
    expect(formatCurrentImageText({ image: 'base-v1', properties: { vcld_post_load: 'success (1)' }, postLoadDone: false })).toBe('base-v1\n');
    expect(() => formatCurrentImageText({ image: 'a\nb', properties: {}, postLoadDone: false })).toThrow(RangeError);
  });
});
