import type { HostLocks } from './host-lock.ts';
import { imageLockPath, nodeStatePaths, parseIntentRecord, type IntentRecord } from './intent-record.ts';
import type { KvmHost } from './kvm-host.ts';

/** Options of `KvmProvisioner.leftovers`. */
export interface LeftoversOptions {
  /** Remove what is found (default false: a dry run that only lists). */
  remove?: boolean;
  signal?: AbortSignal;
}

/** What provkit left on a KVM host, as `KvmProvisioner.leftovers` found it. */
export interface LeftoversReport {
  /** True when the items below were removed (not just listed). */
  removed: boolean;
  /** Operations that died (record present, node lock free): their domain and files are undone. */
  interrupted: Array<{ node: string; record: IntentRecord; domainDefined: boolean }>;
  /**
   * Files in nodeDiskDir (disks, console logs) of nodes with no domain, no record and no live
   * lock; and hidden temp copies (`.<node>.qcow2.part-*`) an interrupted `makeIndependent` left,
   * whose node lock is free.
   */
  orphanFiles: string[];
  /** Hidden partial copies in the library whose image lock is free. */
  partials: Array<{ image: string; path: string }>;
  /** Intent records provkit cannot read (listed, never acted on). */
  unreadableRecords: string[];
  /** `qemu-img` processes writing into the library or nodeDiskDir for a node or image nobody holds. */
  processes: Array<{ pid: number; command: string }>;
}

/** What {@link findLeftovers} needs of the provisioner. */
export interface LeftoversContext {
  host: KvmHost;
  locks: HostLocks;
  libraryDir: string;
  nodeDiskDir: string;
  signal?: AbortSignal | undefined;
}

/** Runs tasks under the provisioner's own locks (node exclusive, image exclusive) and its recovery. */
export interface LeftoversLocking {
  node<T>(name: string, task: () => Promise<T>): Promise<T>;
  image<T>(image: string, task: () => Promise<T>): Promise<T>;
  recover(name: string): Promise<void>;
}

const NODE_FILE = /^(.+?)(\.qcow2|\.console\.log)$/;
const PARTIAL = /^\.(.+)\.qcow2\.part-[0-9a-f]+$/;
/** A node disk's temp copy being rebased by makeIndependent (written only under the node's lock). */
const NODE_PARTIAL = PARTIAL;

/** Lists what provkit left on the host; changes nothing. */
export async function findLeftovers(context: LeftoversContext): Promise<LeftoversReport> {
  const { host, nodeDiskDir, libraryDir } = context;
  const call = context.signal ? { signal: context.signal } : {};
  const stateDir = `${nodeDiskDir}/.provkit`;
  const lines = (await host.leftoverListing({ nodeDiskDir, stateDir, libraryDir }, call)).map(({ kind, name }) => [kind, name] as const);
  const domains = new Set((await host.domainStates(call)).keys());
  const report: LeftoversReport = { removed: false, interrupted: [], orphanFiles: [], partials: [], unreadableRecords: [], processes: [] };
  const recorded = new Set<string>();

  for (const [kind, path] of lines) {
    if (kind !== 'intent') continue;
    const node = path.slice(stateDir.length + 1, -'.intent.json'.length);
    if (!(await context.locks.isFree(nodeStatePaths(nodeDiskDir, node).lock, call))) continue;
    const text = (await host.readText(path, call)) ?? '';
    let record: IntentRecord;
    try {
      record = parseIntentRecord(text, nodeDiskDir);
    } catch {
      report.unreadableRecords.push(path);
      continue;
    }
    recorded.add(node);
    report.interrupted.push({ node, record, domainDefined: domains.has(record.domain) });
  }
  for (const [kind, name] of lines) {
    if (kind === 'node-file' && NODE_PARTIAL.test(name)) {
      // Whatever the domain: only a live makeIndependent of the node, holding its lock, writes one.
      if (await context.locks.isFree(nodeStatePaths(nodeDiskDir, NODE_PARTIAL.exec(name)![1]!).lock, call)) report.orphanFiles.push(`${nodeDiskDir}/${name}`);
    } else if (kind === 'node-file') {
      const node = NODE_FILE.exec(name)?.[1];
      if (node === undefined || domains.has(node) || recorded.has(node)) continue;
      if (await context.locks.isFree(nodeStatePaths(nodeDiskDir, node).lock, call)) report.orphanFiles.push(`${nodeDiskDir}/${name}`);
    } else if (kind === 'partial') {
      const image = PARTIAL.exec(name)?.[1];
      if (image === undefined) continue;
      if (await context.locks.isFree(imageLockPath(libraryDir, image), call)) report.partials.push({ image, path: `${libraryDir}/${name}` });
    }
  }
  report.processes = await strayQemuImg(context, call);
  return report;
}

/**
 * `qemu-img` processes whose arguments name a file in our directories, kept only when nobody
 * holds the lock of that node or image (a live load or capture holds it while its qemu-img runs).
 */
async function strayQemuImg(context: LeftoversContext, call: { signal?: AbortSignal }): Promise<Array<{ pid: number; command: string }>> {
  const strays: Array<{ pid: number; command: string }> = [];
  for (const process of await context.host.qemuImgProcesses([context.libraryDir, context.nodeDiskDir], call)) {
    if (!/(^|\/)qemu-img\s/.test(process.command)) continue;
    const locks = lockPathsNamedIn(process.command, context);
    if (locks.length === 0) continue;
    let free = true;
    for (const lock of locks) free &&= await context.locks.isFree(lock, call);
    if (free) strays.push(process);
  }
  return strays;
}

/** The node and image locks of the files a command line names in our directories. */
export function lockPathsNamedIn(commandLine: string, where: { libraryDir: string; nodeDiskDir: string }): string[] {
  const locks = new Set<string>();
  for (const word of commandLine.split(/\s+/)) {
    if (word.startsWith(`${where.nodeDiskDir}/`)) {
      const file = word.slice(where.nodeDiskDir.length + 1);
      const node = NODE_PARTIAL.exec(file)?.[1] ?? NODE_FILE.exec(file)?.[1];
      if (node !== undefined && !node.includes('/')) locks.add(nodeStatePaths(where.nodeDiskDir, node).lock);
    } else if (word.startsWith(`${where.libraryDir}/`)) {
      const file = word.slice(where.libraryDir.length + 1);
      const image = PARTIAL.exec(file)?.[1] ?? /^([^/]+)\.qcow2$/.exec(file)?.[1];
      if (image !== undefined) locks.add(imageLockPath(where.libraryDir, image));
    }
  }
  return [...locks];
}

/** Removes what {@link findLeftovers} found, each item under its lock and checked again there. */
export async function removeLeftovers(context: LeftoversContext, report: LeftoversReport, locking: LeftoversLocking): Promise<LeftoversReport> {
  const { host } = context;
  const call = context.signal ? { signal: context.signal } : {};
  for (const process of report.processes) {
    // Only while the lock its files belong to is still free (taken here, so nobody starts meanwhile).
    const [lock] = lockPathsNamedIn(process.command, context);
    const kill = (): Promise<void> => host.kill(process.pid, call);
    if (lock?.startsWith(`${context.nodeDiskDir}/`)) await locking.node(lock.slice(lock.lastIndexOf('/') + 1, -'.lock'.length), kill);
    else if (lock) await locking.image(lock.slice(lock.lastIndexOf('/') + 1, -'.lock'.length), kill);
  }
  for (const item of report.interrupted) await locking.node(item.node, () => locking.recover(item.node));
  for (const path of report.orphanFiles) {
    const file = path.slice(context.nodeDiskDir.length + 1);
    const partial = NODE_PARTIAL.exec(file)?.[1];
    if (partial !== undefined) {
      await locking.node(partial, () => host.remove([path], call));
      continue;
    }
    const node = NODE_FILE.exec(file)![1]!;
    await locking.node(node, async () => {
      if ((await host.domainState(node, call)) === undefined) await host.remove([path], call);
    });
  }
  for (const partial of report.partials) await locking.image(partial.image, () => host.remove([partial.path], call));
  return { ...report, removed: true };
}
