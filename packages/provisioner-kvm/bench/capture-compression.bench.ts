/**
 * Capture with and without compression (`providerOptions.kvm.compress`): the time of the
 * capture (an ungeneralized copy, `skipPreCapture`, of a node that is off, so the copy is what
 * is timed) and the stored image's size. Two disks: the lab guest's (a real Debian system,
 * mostly compressible) and a node on an image holding 512 MiB of random data (incompressible:
 * compression's worst case). Through the provisioner over the lab sshd; rounds alternate.
 */
import { sh } from '@provkit/core';
import { median, printTable, type BenchRow } from '@provkit/lab';
import { buildDomainXml } from '../src/index.ts';
import { startKvmLab } from '../lab-tests/test-support/lab-kvm.ts';

const ROUNDS = 3;
const lab = await startKvmLab();
const kvm = lab.provisioner();
const rows: BenchRow[] = [];

/** Captures `node` as a new image with compression on or off; its time (ms) and allocated bytes. */
async function capture(node: { name: string }, image: string, compress: boolean): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  await kvm.capture({ node, image, skipPreCapture: true, providerOptions: { kvm: { compress } } });
  const ms = performance.now() - started;
  const bytes = (await kvm.getImageSize({ image })).allocatedBytes;
  await kvm.deleteImage({ image });
  return { ms, bytes };
}

try {
  // The lab guest, loaded and booted once: the first capture shuts it down.
  const guest = await lab.newNode('bench-guest');
  await kvm.load({ node: guest, image: lab.image });
  // A node (defined, never started) on an image of 512 MiB of random data.
  const random = 'benchrandom-v1';
  await lab.host.run(sh`head -c 512M /dev/urandom >${`${kvm.library.path(random)}.raw`} && qemu-img convert -q -f raw -O qcow2 ${`${kvm.library.path(random)}.raw`} ${kvm.library.path(random)} && rm -f ${`${kvm.library.path(random)}.raw`}`);
  const randomNode = await lab.newNode('bench-random');
  const disk = kvm.nodeDiskPath(randomNode.name);
  await kvm.host.createOverlay(kvm.library.path(random), disk, undefined);
  await kvm.host.define(buildDomainXml({ name: randomNode.name, type: kvm.settings.domainType, cpus: 1, memoryBytes: 128 << 20, machine: kvm.settings.machine, clock: 'utc', disks: [{ path: disk, format: 'qcow2', target: 'vda' }], nics: [], serial: {}, metadata: { image: random } }));
  try {
    for (const [label, node] of [['lab guest (Debian system disk)', guest], ['512 MiB of random data', randomNode]] as const) {
      const runs = { compressed: [] as Array<{ ms: number; bytes: number }>, plain: [] as Array<{ ms: number; bytes: number }> };
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which goes first, so page-cache warmth favours neither.
        const order = round % 2 === 0 ? [true, false] : [false, true];
        for (const compress of order) runs[compress ? 'compressed' : 'plain'].push(await capture(node, `benchcap${compress ? 'c' : 'p'}-v${round + 1}`, compress));
      }
      rows.push({ measure: `${label}: capture ms (median of ${ROUNDS})`, provkit: median(runs.compressed.map((run) => run.ms)), baseline: median(runs.plain.map((run) => run.ms)) });
      rows.push({ measure: `${label}: stored image MiB`, provkit: median(runs.compressed.map((run) => run.bytes)) / 2 ** 20, baseline: median(runs.plain.map((run) => run.bytes)) / 2 ** 20 });
    }
  } finally {
    await kvm.unload({ node: guest }).catch(() => undefined);
    await kvm.unload({ node: randomNode }).catch(() => undefined);
    await kvm.deleteImage({ image: random }).catch(() => undefined);
  }
} finally {
  await lab.close();
}
printTable('Capture compressed (provkit default) vs not (providerOptions.kvm.compress: false)', rows, 'uncompressed');
