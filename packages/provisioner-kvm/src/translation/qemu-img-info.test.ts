import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseImageInfoLines, parseQemuImgInfo } from './qemu-img-info.ts';

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

describe('parseImageInfoLines', () => {
  // What fileCommands.imageInfoLines prints: each document of qemu-img's (recorded on the lab
  // host) with its newlines removed by `tr -d '\n'`, and `!<path>` for a file it failed on.
  const line = (name: string): string => fixture(name).replace(/\n/g, '');
  it('keeps each readable image by file name and each unreadable path apart', () => {
    const { infos, unreadable } = parseImageInfoLines(`${line('qemu-img-info-standalone.json')}\n!/lib/gone.qcow2\n${line('qemu-img-info-overlay.json')}\n`);
    expect([...infos.keys()]).toEqual(['base.qcow2', parseQemuImgInfo(fixture('qemu-img-info-overlay.json'))[0]!.filename]);
    expect(infos.get('base.qcow2')).toEqual(parseQemuImgInfo(fixture('qemu-img-info-standalone.json'))[0]);
    expect(unreadable).toEqual(['/lib/gone.qcow2']);
  });
  it('reads nothing from no output, and refuses a line that is not qemu-img JSON', () => {
    expect(parseImageInfoLines('')).toEqual({ infos: new Map(), unreadable: [] });
    expect(() => parseImageInfoLines('qemu-img: Could not open\n')).toThrow(/not JSON/);
  });
});
