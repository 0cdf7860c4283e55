import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { formatCurrentImage, parseCurrentImage, postLoadValue } from './current-image-text.ts';

describe("VCL's currentimage.txt", () => {
  it('reads the image name, properties and the post-load record', () => {
    const text = 'vmwarelinux-RHEL54Small2251-v1\r\nid=2251\nimagerevision_id=2813\nprettyname=RHEL 5.4 = small\nvcld_post_load=success (1291230401)\n';
    expect(parseCurrentImage(text)).toEqual({
      image: 'vmwarelinux-RHEL54Small2251-v1',
      properties: { id: '2251', imagerevision_id: '2813', prettyname: 'RHEL 5.4 = small', vcld_post_load: 'success (1291230401)' },
      postLoadDone: true,
    });
    expect(parseCurrentImage('img-v1\nid=1\n')?.postLoadDone).toBe(false);
    expect(parseCurrentImage('\n\n')).toBeUndefined();
  });

  it('writes what it reads back', () => {
    const info = { image: 'debian12-base-v3', properties: { id: '12', vcld_post_load: postLoadValue(new Date(1_700_000_000_123)) }, postLoadDone: true };
    expect(formatCurrentImage(info)).toBe('debian12-base-v3\nid=12\nvcld_post_load=success (1700000000)\n');
    expect(parseCurrentImage(formatCurrentImage(info))).toEqual(info);
  });

  it('refuses a bad image name, key or multi-line value', () => {
    expect(() => formatCurrentImage({ image: 'no-revision', properties: {}, postLoadDone: false })).toThrow(InvalidInputError);
    expect(() => formatCurrentImage({ image: 'a-v1', properties: { 'bad key': 'x' }, postLoadDone: false })).toThrow(InvalidInputError);
    expect(() => formatCurrentImage({ image: 'a-v1', properties: { id: '1\nvcld_post_load=success (1)' }, postLoadDone: false })).toThrow(InvalidInputError);
  });
});
