/**
 * What the host-side locks cost an operation: taking and releasing a node's exclusive `flock`
 * on the KVM host (two commands: the take, which leaves a detached holder, and the release)
 * against one plain command over the same SSH pool, the baseline. A load
 * takes two such locks (node, image) and writes and removes its intent record (two commands).
 */
import { sh } from '@provkit/core';
import { startKvmLab } from '../lab-tests/test-support/lab-kvm.ts';
import { median, printTable } from '@provkit/lab';
import { nodeStatePaths } from '../src/intent-record.ts';

const ROUNDS = 20;
const lab = await startKvmLab();
const kvm = lab.provisioner();
const lock = nodeStatePaths(lab.nodeDiskDir, 'bench-node').lock;
const locked: number[] = [];
const plain: number[] = [];
try {
  // Warm the connection first: the baseline and the lock both ride on an open one.
  await lab.host.run(sh`true`);
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    await kvm.hostLocks.run(lock, { mode: 'exclusive', waitMs: 10_000, what: 'node bench-node' }, async () => undefined);
    locked.push(performance.now() - started);
    started = performance.now();
    await lab.host.run(sh`true`);
    plain.push(performance.now() - started);
  }
} finally {
  await kvm.close();
  await lab.close();
}
printTable(`Host lock on the lab KVM host (through SSH), median ms of ${ROUNDS} (goal ≤ 5)`, [{ measure: 'take and release a node lock vs one command', provkit: median(locked), baseline: median(plain) }], 'one plain command');
