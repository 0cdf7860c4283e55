/**
 * SSH economy of node status for 30 and for 100 defined (stopped) domains on one KVM host:
 * provkit's provisioner over one pooled SSH connection (`nodeStatus` per node, and the batched
 * `nodeStatuses`), against the way VCL runs host commands (a new `ssh` process, so a new TCP
 * connection and handshake, per command) running the same virsh command per node. Connections
 * are counted on the server side, from the lab sshd's log. Goal: the batch ≥ 20x faster.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { shellJoin, type NodeSpec } from '@provkit/core';
import { buildDomainXml } from '../src/index.ts';
import { virshCommands } from '../src/translation/commands.ts';
import { startKvmLab } from '../lab-tests/test-support/lab-kvm.ts';
import { printTable } from '@provkit/lab';

const SIZES = [30, 100];
const lab = await startKvmLab();
const kvm = lab.provisioner();
const accepted = (): number => readFileSync(lab.sshd.logPath, 'utf8').split('\n').filter((line) => line.startsWith('Connection from ')).length;

async function measure(run: () => Promise<void>): Promise<{ ms: number; connections: number }> {
  const before = accepted();
  const started = performance.now();
  await run();
  return { ms: performance.now() - started, connections: accepted() - before };
}

function sshProcess(command: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const { sshd } = lab;
    const child = spawn('ssh', ['-i', sshd.privateKeyPath, '-o', `UserKnownHostsFile=${sshd.knownHostsPath}`, '-o', 'BatchMode=yes', '-p', String(sshd.port), `${sshd.username}@${sshd.host}`, shellJoin(command)], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 && /shut off/.test(out) ? resolve() : reject(new Error(`ssh exited ${code}: ${out}`))));
  });
}

async function limited<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

const nodes: NodeSpec[] = [];
try {
  for (let index = 0; index < Math.max(...SIZES); index++) nodes.push(await lab.newNode(`eco${index}`));
  // Defined, never started: status is read from libvirt; no guest is needed.
  await limited(nodes, 8, (node) => kvm.host.define(buildDomainXml({ name: node.name, type: 'qemu', cpus: 1, memoryBytes: 64 << 20, clock: 'utc', disks: [{ path: kvm.nodeDiskPath(node.name), format: 'qcow2', target: 'vda' }], nics: [] })));
  const check = async (node: NodeSpec): Promise<void> => {
    const status = await kvm.nodeStatus({ node });
    if (status.power !== 'off') throw new Error(`unexpected status ${JSON.stringify(status)}`);
  };
  const virsh = virshCommands(lab.libvirt.uri);
  await kvm.host.runner.run(['true']); // the pool's one connection, opened before measuring
  for (const size of SIZES) {
    const some = nodes.slice(0, size);
    const batched = await measure(async () => {
      const entries = await kvm.nodeStatuses({ nodes: some });
      if (entries.length !== size || entries.some((entry) => entry.status.power !== 'off')) throw new Error(`unexpected statuses ${JSON.stringify(entries)}`);
    });
    const provkitSequential = await measure(async () => {
      for (const node of some) await check(node);
    });
    const provkitConcurrent = await measure(() => Promise.all(some.map(check)).then(() => undefined));
    const vclSequential = await measure(async () => {
      for (const node of some) await sshProcess(virsh.domState(node.name));
    });
    // sshd's MaxStartups throttles unauthenticated connections; 8 at a time matches the pool's channel bound.
    const vclConcurrent = await measure(() => limited(some, 8, (node) => sshProcess(virsh.domState(node.name))));
    printTable(`Status of ${size} defined domains on one KVM host (lab libvirtd through the lab sshd, account ${lab.sshd.username})`, [
      { measure: 'nodeStatuses (batch): wall ms', provkit: batched.ms, baseline: vclSequential.ms },
      { measure: 'nodeStatuses (batch): new TCP connections', provkit: batched.connections, baseline: vclSequential.connections },
      { measure: 'nodeStatus per node, sequential: wall ms', provkit: provkitSequential.ms, baseline: vclSequential.ms },
      { measure: 'nodeStatus per node, all at once (pool-bounded) vs 8 ssh at once: wall ms', provkit: provkitConcurrent.ms, baseline: vclConcurrent.ms },
      { measure: 'nodeStatus per node, concurrent: new TCP connections', provkit: provkitConcurrent.connections, baseline: vclConcurrent.connections },
    ], 'new ssh process per node, sequential (VCL)');
  }
} finally {
  await limited(nodes, 8, (node) => kvm.unload({ node }).catch(() => undefined));
  await lab.close();
}
