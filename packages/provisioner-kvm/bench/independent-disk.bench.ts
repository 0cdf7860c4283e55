/**
 * Making a linked node independent of its image (`makeIndependent`), against what a load with
 * `diskMode: 'full'` does instead (a `qemu-img convert` of the image): a live block pull of a
 * domain QEMU runs (started paused, so the guest's own boot does not share the 2 cores with
 * the copy; QEMU pulls the same either way) and the offline rebase of a shut-off domain's
 * overlay. For the lab guest's image (256 MiB virtual, about 8 MiB of data) and an image with
 * 1 GiB of data. All through the provisioner over the lab sshd, as an orchestrator calls it.
 */
import { sh } from '@provkit/core';
import { median, printTable, type BenchRow } from '@provkit/lab';
import { buildDomainXml } from '../src/index.ts';
import { startKvmLab } from '../lab-tests/test-support/lab-kvm.ts';

const ROUNDS = 3;
const lab = await startKvmLab();
const kvm = lab.provisioner();
const rows: BenchRow[] = [];

/** A provkit-marked domain on a fresh overlay of `image`, defined, and started paused when `live`. */
async function linkedNode(image: string, live: boolean): Promise<{ name: string }> {
  const node = await lab.newNode('bench');
  const disk = kvm.nodeDiskPath(node.name);
  await kvm.host.createOverlay(kvm.library.path(image), disk, undefined);
  await kvm.host.define(
    buildDomainXml({ name: node.name, type: kvm.settings.domainType, cpus: 1, memoryBytes: 128 << 20, machine: kvm.settings.machine, clock: 'utc', disks: [{ path: disk, format: 'qcow2', target: 'vda' }], nics: [], serial: {}, metadata: { image }, ...(kvm.settings.directKernelBoot ? { directKernelBoot: kvm.settings.directKernelBoot } : {}) }),
  );
  if (live) await lab.host.run(['virsh', '--quiet', '--connect', lab.libvirt.uri, 'start', '--paused', '--domain', node.name]);
  return { name: node.name };
}

try {
  const big = 'benchdata-v1';
  // 1 GiB of non-zero data, so the copies have real clusters to move.
  await lab.host.run(sh`qemu-img create -q -f qcow2 ${kvm.library.path(big)} 2G && qemu-io -f qcow2 -c ${'write -P 0xa5 0 1G'} ${kvm.library.path(big)} >/dev/null`);
  for (const [label, image] of [['lab guest image (256 MiB virtual, ~8 MiB data)', lab.image], ['image with 1 GiB of data (2 GiB virtual)', big]] as const) {
    const pulls: number[] = [];
    const rebases: number[] = [];
    const copies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const live of [true, false]) {
        const node = await linkedNode(image, live);
        const started = performance.now();
        const result = await kvm.makeIndependent({ node });
        (live ? pulls : rebases).push(performance.now() - started);
        if (result.disks[0]?.method !== (live ? 'block-pull' : 'rebase')) throw new Error(`expected a ${live ? 'block pull' : 'rebase'}, got ${JSON.stringify(result.disks)}`);
        await kvm.unload({ node });
      }
      const target = `${lab.nodeDiskDir}/bench-copy.qcow2`;
      const started = performance.now();
      await kvm.host.convert(kvm.library.path(image), target);
      copies.push(performance.now() - started);
      await kvm.host.remove([target]);
    }
    rows.push({ measure: `${label}: live block pull, median ms of ${ROUNDS}`, provkit: median(pulls), baseline: median(copies) });
    rows.push({ measure: `${label}: offline rebase, median ms of ${ROUNDS}`, provkit: median(rebases), baseline: median(copies) });
  }
  await kvm.deleteImage({ image: big });
} finally {
  await lab.close();
}
printTable('makeIndependent on the lab KVM host (through SSH) against a full copy at load', rows, 'full copy (qemu-img convert)');
