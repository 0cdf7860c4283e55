import { describe, expect, it } from 'vitest';
import { isNoSpaceLeft, isNoSuchFile } from './host-failure.ts';

// Messages as qemu-img 7.2 and coreutils 9.1 (Debian 12) print them.
describe('host failure classification', () => {
  it('recognises a full filesystem from qemu-img, cp and sync', () => {
    expect(isNoSpaceLeft('qemu-img: error while writing at byte 2097152: No space left on device')).toBe(true);
    expect(isNoSpaceLeft("cp: error writing '/lib/x.qcow2': No space left on device")).toBe(true);
    expect(isNoSpaceLeft('sync: error syncing /lib/.x.part-1: No space left on device')).toBe(true);
    expect(isNoSpaceLeft('qemu-img: Could not open /x: Permission denied')).toBe(false);
    expect(isNoSpaceLeft('')).toBe(false);
  });

  it('recognises "no such file" only when the host names the given path', () => {
    const path = '/var/lib/libvirt/images/lib/base-v1.qcow2';
    expect(isNoSuchFile(`qemu-img: Could not open '${path}': Could not open '${path}': No such file or directory`, path)).toBe(true);
    expect(isNoSuchFile(`qemu-img: /nodes/web-1.qcow2: Could not open '${path}': No such file or directory\nCould not open backing image.`, path)).toBe(true);
    // Another file missing (the node's directory, another image) is not this image gone.
    expect(isNoSuchFile("qemu-img: /nodes/web-1.qcow2: Could not create '/nodes/web-1.qcow2': No such file or directory", path)).toBe(false);
    expect(isNoSuchFile(`qemu-img: Could not open '${path}': Permission denied`, path)).toBe(false);
    // The path named after the reason (a later, unrelated clause) does not count.
    expect(isNoSuchFile(`qemu-img: /x: No such file or directory (while reading ${path})`, path)).toBe(false);
  });
});
