import { shellJoin } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { qemuImgConvert, qemuImgCreateOverlay, qemuImgInfo, qemuImgResize, virshCommands } from './commands.ts';

describe('virsh commands', () => {
  const virsh = virshCommands('qemu:///system');
  it('names the connection and the domain by option, one word each', () => {
    expect(virsh.domState('web-1')).toEqual(['virsh', '--quiet', '--connect', 'qemu:///system', 'domstate', '--reason', '--domain', 'web-1']);
    expect(virsh.defineFromStdin()).toEqual(['virsh', '--quiet', '--connect', 'qemu:///system', 'define', '--file', '/dev/stdin']);
    expect(virsh.shutdown('web-1').slice(4)).toEqual(['shutdown', '--domain', 'web-1', '--mode', 'acpi']);
    expect(virsh.domBlkList('web-1').slice(4)).toEqual(['domblklist', '--domain', 'web-1', '--details']);
    expect(virsh.listAllNames().slice(4)).toEqual(['list', '--all', '--name']);
  });
  it('quotes hostile values as single shell words when rendered', () => {
    expect(shellJoin(virsh.domInfo("x'; reboot #"))).toBe(`virsh --quiet --connect qemu:///system dominfo --domain 'x'\\''; reboot #'`);
  });
});

describe('qemu-img commands', () => {
  it('creates an overlay with explicit formats and an absolute backing file', () => {
    expect(qemuImgCreateOverlay('/lib/base-v1.qcow2', '/nodes/n1.qcow2')).toEqual(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', '/lib/base-v1.qcow2', '/nodes/n1.qcow2']);
    expect(qemuImgCreateOverlay('/lib/base-v1.qcow2', '/nodes/n1.qcow2', 21474836480).at(-1)).toBe('21474836480');
  });
  it('flattens with or without compression', () => {
    expect(qemuImgConvert('/nodes/n1.qcow2', '/lib/.tmp')).toEqual(['qemu-img', 'convert', '-q', '-f', 'qcow2', '-O', 'qcow2', '/nodes/n1.qcow2', '/lib/.tmp']);
    expect(qemuImgConvert('/a', '/b', { compress: true })).toContain('-c');
  });
  it('reads info shared, as JSON, optionally with the backing chain', () => {
    expect(qemuImgInfo('/lib/a b.qcow2')).toEqual(['qemu-img', 'info', '--force-share', '--output=json', '/lib/a b.qcow2']);
    expect(qemuImgInfo('/x', { backingChain: true })).toContain('--backing-chain');
    expect(shellJoin(qemuImgInfo('/lib/a b.qcow2'))).toBe(`qemu-img info --force-share --output=json '/lib/a b.qcow2'`);
  });
  it('resizes to a byte count', () => {
    expect(qemuImgResize('/n.qcow2', 1024)).toEqual(['qemu-img', 'resize', '-q', '-f', 'qcow2', '/n.qcow2', '1024']);
  });
});
