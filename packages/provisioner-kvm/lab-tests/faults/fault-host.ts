/**
 * What the fault matrix sees on the lab's KVM host (this machine), read with local commands so
 * a faulted sshd or libvirtd connection of the provisioner never blinds the inspection: the
 * run's domains, files in the node-disk directory, hidden or unexpected files in the library,
 * held locks, stray `qemu-img`/`virsh` processes; the library's images checked; and the run
 * swept clean between rows.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs a command locally; never throws (the inspection reports, it does not fail). */
export async function local(file: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message };
  }
}

/** The directories and names of one matrix run on the host. */
export interface FaultRunLayout {
  uri: string;
  /** Every domain of the run starts with it. */
  prefix: string;
  runDir: string;
  libraryDir: string;
  nodeDiskDir: string;
  /** Library files that belong there (the base image), by name. */
  libraryFiles: readonly string[];
}

/** provkit's hidden state directory in the library and the node-disk directory. */
const STATE_DIR = '.provkit';

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Files directly in `dirs` with a flock or POSIX lock held on them right now (from /proc/locks). */
async function heldLocks(dirs: readonly string[]): Promise<string[]> {
  const locks = await readFile('/proc/locks', 'utf8').catch(() => '');
  // OFD locks are QEMU's own image locks (a running guest on its disk and backing file, a
  // qemu-img on its files): the processes are reported on their own; these are not provkit's.
  const held = locks.split('\n').map((line) => line.trim().split(/\s+/)).filter((fields) => fields[1] !== 'OFDLCK');
  const inodes = new Set(held.map((fields) => fields[5]?.split(':')[2]).filter((inode): inode is string => Boolean(inode)));
  if (inodes.size === 0) return [];
  const paths: string[] = [];
  for (const dir of dirs) {
    for (const name of await listDir(dir)) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info && inodes.has(String(info.ino))) paths.push(join(dir, name));
    }
  }
  return paths;
}

/** Processes whose command line mentions `needle` (except this inspection's own). */
async function processesMentioning(pattern: string, needle: string): Promise<string[]> {
  const { stdout } = await local('pgrep', ['-af', pattern]);
  return stdout
    .split('\n')
    .filter((line) => line.includes(needle) && !line.includes('pgrep'))
    .map((line) => line.slice(0, 160));
}

/** The run's domains and their states, straight from libvirtd. */
export async function runDomains(layout: FaultRunLayout): Promise<Map<string, string>> {
  const { stdout } = await local('virsh', ['-c', layout.uri, 'list', '--all']);
  const domains = new Map<string, string>();
  for (const line of stdout.split('\n').slice(2)) {
    const match = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (match && match[2]!.startsWith(layout.prefix)) domains.set(match[2]!, match[3]!);
  }
  return domains;
}

/**
 * Everything of the run left on the host, one readable entry each (empty: nothing). `nodes`
 * narrows domains and node files to those nodes, `keep` leaves out nodes rightly there and
 * `keepLibrary` library files rightly there; library extras, locks and processes are the run's.
 */
export async function leftOnHost(layout: FaultRunLayout, options: { nodes?: readonly string[]; keep?: readonly string[]; keepLibrary?: readonly string[] } = {}): Promise<string[]> {
  const left: string[] = [];
  const mine = (name: string): boolean => !options.nodes || options.nodes.some((node) => name === node || name.startsWith(`${node}.`));
  for (const [name, state] of await runDomains(layout)) if (mine(name) && !options.keep?.includes(name)) left.push(`domain ${name} (${state})`);
  const kept = (file: string): boolean => Boolean(options.keep?.some((node) => file.startsWith(`${node}.`)));
  for (const file of await listDir(layout.nodeDiskDir)) if (file !== STATE_DIR && mine(file) && !kept(file)) left.push(`node dir: ${file}`);
  // provkit's own state: lock files stay by design (never deleted, see host-lock.ts); an intent
  // record is an operation nobody finished or undid yet.
  for (const file of await listDir(join(layout.nodeDiskDir, STATE_DIR))) if (!file.endsWith('.lock') && mine(file) && !kept(file)) left.push(`intent record: ${file}`);
  // The library's `.provkit` holds image locks and the images' overlay templates (kept by design).
  for (const file of await listDir(layout.libraryDir)) if (file !== STATE_DIR && !layout.libraryFiles.includes(file) && !options.keepLibrary?.includes(file)) left.push(`library: ${file}`);
  for (const path of await heldLocks([layout.libraryDir, layout.nodeDiskDir, layout.runDir, join(layout.libraryDir, STATE_DIR), join(layout.nodeDiskDir, STATE_DIR)])) left.push(`lock held: ${path}`);
  for (const line of await processesMentioning('qemu-img', layout.runDir)) left.push(`qemu-img running: ${line}`);
  for (const line of await processesMentioning('virsh', layout.prefix)) left.push(`virsh running: ${line}`);
  // A QEMU of the run that libvirtd no longer lists (e.g. lost across a daemon restart).
  const listed = await runDomains(layout);
  for (const line of await processesMentioning('qemu-system', layout.prefix)) {
    const name = /guest=([^,\s]+)/.exec(line)?.[1];
    if (name && !listed.has(name) && mine(name)) left.push(`qemu without a domain: ${name}`);
  }
  return left;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The library's base image checksum, to compare after each row. */
export function libraryChecksum(layout: FaultRunLayout, image: string): Promise<string> {
  return sha256(join(layout.libraryDir, `${image}.qcow2`));
}

/**
 * Whether the library is intact: the base image is there with its original checksum, and every
 * image in it passes `qemu-img check` (shared-read, so a running overlay does not block it).
 */
export async function libraryIntact(layout: FaultRunLayout, image: string, checksum: string): Promise<{ intact: boolean; detail: string }> {
  const base = join(layout.libraryDir, `${image}.qcow2`);
  const now = await sha256(base).catch(() => undefined);
  if (now === undefined) return { intact: false, detail: `${image}.qcow2 is gone` };
  if (now !== checksum) return { intact: false, detail: `${image}.qcow2 changed (sha256 ${now.slice(0, 12)})` };
  const problems: string[] = [];
  for (const file of await listDir(layout.libraryDir)) {
    if (file.startsWith('.') || !file.endsWith('.qcow2')) continue;
    const check = await local('qemu-img', ['check', '-U', join(layout.libraryDir, file)]);
    if (check.code !== 0) problems.push(`${file}: qemu-img check exit ${check.code}`);
  }
  return problems.length === 0 ? { intact: true, detail: 'sha256 same, qemu-img check ok' } : { intact: false, detail: problems.join('; ') };
}

/**
 * Removes everything of the run from the host (domains destroyed and undefined, node files,
 * library extras, stray processes of the run, stopped QEMUs continued), so each row starts clean.
 */
export async function sweep(layout: FaultRunLayout): Promise<void> {
  for (const line of await processesMentioning('qemu-system', layout.prefix)) {
    const pid = line.split(' ')[0]!;
    await local('kill', ['-CONT', pid]);
  }
  for (const name of (await runDomains(layout)).keys()) {
    await local('virsh', ['-c', layout.uri, 'destroy', name]);
    await local('virsh', ['-c', layout.uri, 'undefine', name]);
  }
  for (const line of [...(await processesMentioning('qemu-img', layout.runDir)), ...(await processesMentioning('virsh', layout.prefix))]) {
    await local('kill', ['-KILL', line.split(' ')[0]!]);
  }
  for (const file of await listDir(layout.nodeDiskDir)) await rm(join(layout.nodeDiskDir, file), { force: true, recursive: true });
  for (const file of await listDir(layout.libraryDir)) if (!layout.libraryFiles.includes(file)) await rm(join(layout.libraryDir, file), { force: true, recursive: true });
}
