/**
 * `npm run soak [-- --cycles N]`: N (default 200) load/unload cycles of one node on the lab
 * with one KVM provisioner in this process, as a long-lived orchestrator runs. Resources are
 * measured after the first cycle (connections and pools are open by then) and after the last:
 * this process's file descriptors, its established TCP connections (SSH to the host and to
 * guests), its child processes, the lab sshd's processes serving this process's connections and
 * what runs under them (the remote side: sessions, shells, virsh; other tests' sessions on the
 * same sshd are not counted, so the soak needs no lab lock unless something restarts services),
 * `qemu-img`/`virsh` processes of the run, files in the node-disk directory, and RSS after a
 * garbage collection. Exits 1 when any grows beyond {@link TOLERANCE}.
 */
import { readdir, readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { startKvmLab } from '../test-support/lab-kvm.ts';

const exec = promisify(execFile);

/** Allowed growth from the first measurement to the last. */
export const TOLERANCE = {
  fileDescriptors: 4,
  tcpConnections: 0,
  localProcesses: 0,
  remoteProcesses: 0,
  runProcesses: 0,
  nodeDirFiles: 0,
  rssBytes: 64 * 1024 * 1024,
} as const;

type Measure = keyof typeof TOLERANCE;

async function lines(file: string, args: readonly string[]): Promise<string[]> {
  try {
    return (await exec(file, args)).stdout.split('\n').filter(Boolean);
  } catch (error) {
    // pgrep exits 1 when nothing matches.
    return ((error as { stdout?: string }).stdout ?? '').split('\n').filter(Boolean);
  }
}

/** Every descendant of `pid` (through /proc's parent links). */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent) parents.set(Number(entry), parent);
  }
  const found: number[] = [];
  const walk = (of: number): void => {
    for (const [child, parent] of parents) {
      if (parent === of) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/**
 * The lab sshd's processes serving this process's own connections (matched by the TCP port
 * pair in `ss`) and whatever runs under them. Other tests may use the same sshd meanwhile;
 * their sessions are not ours to count.
 */
async function ownRemoteProcesses(established: string[], sshPort: number): Promise<number> {
  const ends = (line: string): [string, string] => {
    const [local = '', peer = ''] = line.trim().split(/\s+/).slice(2, 4);
    return [local, peer];
  };
  const ours = new Set(established.filter((line) => line.includes(`pid=${process.pid},`)).map((line) => ends(line)[0]));
  const serving = new Set<number>();
  for (const line of established) {
    const [local, peer] = ends(line);
    if (!local.endsWith(`:${sshPort}`) || !ours.has(peer)) continue;
    for (const match of line.matchAll(/pid=(\d+)/g)) serving.add(Number(match[1]));
  }
  const all = new Set<number>(serving);
  for (const pid of serving) for (const child of await descendants(pid)) all.add(child);
  return all.size;
}

async function measure(facts: { sshPort: number; runDir: string; nodeDiskDir: string }): Promise<Record<Measure, number>> {
  (globalThis as { gc?: () => void }).gc?.();
  const established = await lines('ss', ['-tnpH', 'state', 'established']);
  return {
    fileDescriptors: (await readdir('/proc/self/fd')).length,
    tcpConnections: established.filter((line) => line.includes(`pid=${process.pid},`)).length,
    localProcesses: (await descendants(process.pid)).length,
    remoteProcesses: await ownRemoteProcesses(established, facts.sshPort),
    runProcesses: (await lines('pgrep', ['-af', 'qemu-img|virsh'])).filter((line) => line.includes(facts.runDir)).length,
    nodeDirFiles: (await readdir(facts.nodeDiskDir)).length,
    rssBytes: process.memoryUsage().rss,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cycles: { type: 'string', default: '200' } } });
  const cycles = Number(values.cycles);
  if (!Number.isInteger(cycles) || cycles < 2) throw new Error('--cycles must be an integer of at least 2');
  const lab = await startKvmLab();
  const kvm = lab.provisioner();
  const node = await lab.newNode('soak');
  const facts = { sshPort: lab.sshd.port, runDir: lab.runDir, nodeDiskDir: lab.nodeDiskDir };
  let first: Record<Measure, number> | undefined;
  const started = performance.now();
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      await kvm.load({ node, image: lab.image });
      await kvm.unload({ node });
      if (cycle === 1) first = await measure(facts);
      if (cycle % 10 === 0 || cycle === cycles) console.error(`[soak] ${cycle}/${cycles} cycles, ${Math.round((performance.now() - started) / 1000)} s`);
    }
  } finally {
    await kvm.unload({ node }).catch(() => undefined);
  }
  const last = await measure(facts);
  await kvm.close();
  await lab.close();
  const rows = (Object.keys(TOLERANCE) as Measure[]).map((key) => {
    const growth = last[key] - first![key];
    return { measure: key, start: first![key], end: last[key], growth, tolerance: TOLERANCE[key], ok: growth <= TOLERANCE[key] };
  });
  console.log(`soak: ${cycles} load/unload cycles of one node in ${Math.round((performance.now() - started) / 1000)} s (start = after cycle 1)`);
  console.log('| measure | start | end | growth | tolerance | ok |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.measure} | ${row.start} | ${row.end} | ${row.growth} | ${row.tolerance} | ${row.ok ? 'yes' : 'NO'} |`);
  process.exitCode = rows.every((row) => row.ok) ? 0 : 1;
}

await main();
