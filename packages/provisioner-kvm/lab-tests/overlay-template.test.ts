/**
 * Overlays copied from an image's pristine overlay (one qemu-img start per image, not per
 * load), on the lab host: the copy is the overlay qemu-img makes, a grown size gets its own
 * template, an image replaced under the same name never meets the old template, and deleting
 * the image removes its templates. No guest boots here.
 */
import { sh } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvmProvisioner } from '../src/index.ts';
import { overlayTemplateDir } from '../src/kvm-host.ts';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

let lab: KvmLab;
let kvm: KvmProvisioner;

beforeAll(async () => {
  lab = await startKvmLab();
  kvm = lab.provisioner();
});

afterAll(async () => {
  await lab?.close();
});

async function info(path: string): Promise<{ 'virtual-size': number; 'backing-filename'?: string; 'backing-filename-format'?: string }> {
  return JSON.parse((await lab.host.run(sh`qemu-img info --force-share --output=json ${path}`)).stdout);
}

async function templates(image: string): Promise<string[]> {
  const dir = overlayTemplateDir(kvm.library.path(image));
  return (await lab.host.run(sh`ls -1 -- ${dir} 2>/dev/null || true`)).stdout.split('\n').filter(Boolean);
}

describe('KVM overlays from per-image templates', () => {
  it('makes the overlay qemu-img makes, once per image and size, and forgets templates of a replaced or deleted image', async () => {
    const image = 'tmpl-v1';
    const path = kvm.library.path(image);
    await lab.host.run(sh`qemu-img create -q -f qcow2 ${path} 1G`);
    const disk = (name: string): string => `${lab.nodeDiskDir}/${name}.qcow2`;

    await kvm.host.createOverlay(path, disk('a'), undefined);
    expect(await templates(image)).toHaveLength(1);
    await kvm.host.createOverlay(path, disk('b'), undefined);
    expect(await templates(image)).toHaveLength(1);
    // The copy is byte for byte what qemu-img made for the first overlay.
    expect((await lab.host.run(sh`cmp -- ${disk('a')} ${disk('b')}`, { check: false })).exitCode).toBe(0);
    expect(await info(disk('b'))).toMatchObject({ 'virtual-size': 2 ** 30, 'backing-filename': path, 'backing-filename-format': 'qcow2' });
    expect((await lab.host.run(sh`qemu-img check -q ${disk('b')}`, { check: false })).exitCode).toBe(0);

    // A grown disk has a template of its own size.
    await kvm.host.createOverlay(path, disk('c'), 2 * 2 ** 30);
    await kvm.host.createOverlay(path, disk('d'), 2 * 2 ** 30);
    expect(await templates(image)).toHaveLength(2);
    expect((await info(disk('d')))['virtual-size']).toBe(2 * 2 ** 30);

    // The image replaced under its name (another size): its overlays follow the new file.
    await lab.host.run(sh`rm -f -- ${path} && qemu-img create -q -f qcow2 ${path} 3G`);
    await kvm.host.createOverlay(path, disk('e'), undefined);
    expect((await info(disk('e')))['virtual-size']).toBe(3 * 2 ** 30);
    expect(await templates(image)).toHaveLength(3);

    // Templates are not users of the image, and go with it.
    await kvm.host.remove(['a', 'b', 'c', 'd', 'e'].map(disk));
    expect(await kvm.deleteImage({ image })).toEqual({ deleted: true });
    expect(await templates(image)).toEqual([]);
    expect((await kvm.listImages()).map((entry) => entry.name)).not.toContain(image);
  });
});
