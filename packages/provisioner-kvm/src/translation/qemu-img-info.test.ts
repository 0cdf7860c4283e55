import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseQemuImgInfo } from './qemu-img-info.ts';

// Fixtures are real output of qemu-img 7.2 on the lab host.
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseQemuImgInfo', () => {
  it('parses a standalone image as a chain of one', () => {
    expect(parseQemuImgInfo(fixture('qemu-img-info-standalone.json'))).toEqual([{ filename: 'base.qcow2', format: 'qcow2', virtualBytes: 268435456, allocatedBytes: 7933952 }]);
  });

  it('parses an overlay with its backing chain, overlay first', () => {
    const chain = parseQemuImgInfo(fixture('qemu-img-info-backing-chain.json'));
    expect(chain).toHaveLength(2);
    expect(chain[0]).toMatchObject({ filename: 'node1.qcow2', virtualBytes: 268435456, allocatedBytes: 593920, backingFilename: '/var/lib/libvirt/images/pkmanual/base.qcow2', fullBackingFilename: '/var/lib/libvirt/images/pkmanual/base.qcow2', backingFormat: 'qcow2' });
    expect(chain[1]).toMatchObject({ filename: '/var/lib/libvirt/images/pkmanual/base.qcow2', allocatedBytes: 7933952 });
    expect(chain[1]!.backingFilename).toBeUndefined();
  });

  it('refuses output that is not qemu-img JSON', () => {
    expect(() => parseQemuImgInfo('qemu-img: Could not open')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT', tool: 'qemu-img info', message: expect.stringContaining('not JSON') }));
    expect(() => parseQemuImgInfo('[]')).toThrow(/empty/);
    expect(() => parseQemuImgInfo('{"x":1}')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT' }));
  });
});
