/**
 * Disk preparation of `load`: a qcow2 overlay on the library image (provkit's default) against
 * a full copy (`diskMode: 'full'`, what a copy-based provisioner does), for library images of
 * 1 GiB and 20 GiB virtual size with 1 GiB of data written. Both run through the provisioner's
 * host layer over the lab sshd, as in a load. The overlay should not grow with image size.
 * An image's first overlay runs qemu-img and keeps a pristine copy as the image's template;
 * later overlays copy it. The first is reported on its own row, the median is of the later ones.
 */
import { sh } from '@provkit/core';
import { overlayTemplateDir } from '../src/kvm-host.ts';
import { startKvmLab } from '../lab-tests/test-support/lab-kvm.ts';
import { median, printTable, type BenchRow } from '@provkit/lab';

const ROUNDS = 5;
const lab = await startKvmLab();
const kvm = lab.provisioner();
const rows: BenchRow[] = [];
const overlayMedians: number[] = [];
try {
  for (const virtualGiB of [1, 20]) {
    const image = `bench${virtualGiB}g-v1`;
    const path = kvm.library.path(image);
    // 1 GiB of non-zero data, so a copy has real clusters to move.
    await lab.host.run(sh`qemu-img create -q -f qcow2 ${path} ${`${virtualGiB}G`} && qemu-io -f qcow2 -c ${'write -P 0xa5 0 1G'} ${path} >/dev/null`);
    const allocated = (await kvm.getImageSize({ image })).allocatedBytes;
    const overlay: number[] = [];
    const full: number[] = [];
    const first = `${lab.nodeDiskDir}/bench-first.qcow2`;
    let started = performance.now();
    await kvm.host.createOverlay(path, first, undefined);
    const firstOverlay = performance.now() - started;
    await kvm.host.remove([first]);
    for (let round = 0; round < ROUNDS; round++) {
      const target = `${lab.nodeDiskDir}/bench-${round}.qcow2`;
      started = performance.now();
      await kvm.host.createOverlay(path, target, undefined);
      overlay.push(performance.now() - started);
      await kvm.host.remove([target]);
      started = performance.now();
      await kvm.host.convert(path, target);
      full.push(performance.now() - started);
      await kvm.host.remove([target]);
    }
    overlayMedians.push(median(overlay));
    // What one overlay is made of: the command's round trip on the pooled connection, then the
    // stat that keys the template and the copy of it, each timed as a command of its own.
    const template = (await lab.host.run(sh`ls -d -- ${overlayTemplateDir(path)}/*.qcow2`)).stdout.trim().split('\n')[0]!;
    const parts: Record<string, number[]> = { 'true (round trip)': [], 'stat of the image': [], 'cp of the template': [], 'both in one command': [] };
    for (let round = 0; round < ROUNDS * 4; round++) {
      const target = `${lab.nodeDiskDir}/bench-parts.qcow2`;
      for (const [part, command] of [
        ['true (round trip)', sh`true`],
        ['stat of the image', sh`k=$(stat -c %i.%s.%.9Y.%.9Z -- ${path})`],
        ['cp of the template', sh`cp -- ${template} ${target}`],
        ['both in one command', sh`k=$(stat -c %i.%s.%.9Y.%.9Z -- ${path}) && cp -- ${template} ${target}`],
      ] as const) {
        started = performance.now();
        await lab.host.run(command);
        parts[part]!.push(performance.now() - started);
      }
      await kvm.host.remove([target]);
    }
    console.log(`${virtualGiB} GiB image, overlay parts (median ms of ${ROUNDS * 4}): ${Object.entries(parts).map(([part, times]) => `${part} ${median(times).toFixed(1)}`).join(', ')}`);
    rows.push({ measure: `${virtualGiB} GiB virtual, ${(allocated / 2 ** 30).toFixed(2)} GiB allocated: median ms of ${ROUNDS}`, provkit: median(overlay), baseline: median(full) });
    rows.push({ measure: `${virtualGiB} GiB virtual: the image's first overlay (qemu-img, makes the template), ms`, provkit: firstOverlay, baseline: median(full) });
    await kvm.deleteImage({ image });
  }
} finally {
  await lab.close();
}
printTable('Disk preparation on the lab KVM host (through SSH): qcow2 overlay vs full copy (goal ≤ 0.02)', rows, 'full copy (qemu-img convert)');
printTable('Overlay cost against image size (goal ≤ 1.2)', [{ measure: 'overlay on the 20 GiB image vs on the 1 GiB image: median ms', provkit: overlayMedians[1]!, baseline: overlayMedians[0]! }], 'overlay on the 1 GiB image');
