/**
 * Host commands and parsers for making a node's disk stand alone (no backing file): libvirt's
 * block pull while the domain runs, and qemu-img's safe rebase onto nothing while it is off.
 * Pure: unit-tested on output recorded from the lab's virsh 9.0 and qemu-img 7.2.
 */
import { sh, UnexpectedOutputError, type ShellFragment } from '@provkit/core';
import { virsh } from './commands.ts';

/** A block job on one disk, as `virsh blockjob --info --raw` reports it. */
export interface BlockJobInfo {
  /** libvirt's name of the job: `Block Pull`, `Block Copy`, `Block Commit`, `Active Block Commit`, `Backup`. */
  type: string;
  /** Bytes of the disk's virtual size the job has gone through. */
  currentBytes: number;
  /** Bytes to go through in all (the virtual size for a pull). */
  endBytes: number;
  /** The job's bandwidth limit in MiB/s (0: none). */
  bandwidthMiBps: number;
}

/** libvirt's name of the job `virsh blockpull` starts. */
export const BLOCK_PULL_JOB = 'Block Pull';

/** Commands of one libvirt connection that pull a running disk's backing data into it. */
export function blockJobCommands(uri: string) {
  return {
    /**
     * Starts pulling everything below the disk into it and returns at once (no `--wait`: the
     * provisioner polls with its own bound and abort). `bandwidthMiBps` caps the copy rate so
     * a pull does not starve the host's other disks.
     */
    pull: (domain: string, target: string, options: { bandwidthMiBps?: number | undefined } = {}) =>
      virsh(uri, 'blockpull', '--domain', domain, '--path', target, ...(options.bandwidthMiBps === undefined ? [] : ['--bandwidth', String(options.bandwidthMiBps)])),
    /** The disk's active block job in `key=value` lines; no output when it has none. */
    info: (domain: string, target: string) => virsh(uri, 'blockjob', '--domain', domain, '--path', target, '--info', '--raw'),
    /**
     * Cancels the disk's block job and waits until QEMU has stopped it. A cancelled pull leaves
     * a valid disk that still has its backing file (what was pulled so far stays, unchanged in content).
     */
    abort: (domain: string, target: string) => virsh(uri, 'blockjob', '--domain', domain, '--path', target, '--abort'),
  };
}

/**
 * Parses `virsh blockjob --info --raw`: `undefined` when the disk has no active job (virsh
 * prints nothing), else the job's type and progress.
 */
export function parseBlockJobInfo(output: string): BlockJobInfo | undefined {
  if (output.trim() === '') return undefined;
  const fields = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^\s*([a-z_]+)=(.*?)\s*$/.exec(line);
    if (match) fields.set(match[1]!, match[2]!);
  }
  const type = fields.get('type');
  const current = Number(fields.get('cur'));
  const end = Number(fields.get('end'));
  if (!type || !Number.isSafeInteger(current) || !Number.isSafeInteger(end) || fields.get('cur') === undefined || fields.get('end') === undefined) {
    throw new UnexpectedOutputError('virsh blockjob --info --raw', output, 'no type, cur and end of a block job');
  }
  const bandwidth = Number(fields.get('bandwidth') ?? '0');
  return { type, currentBytes: current, endBytes: end, bandwidthMiBps: Number.isFinite(bandwidth) ? bandwidth : 0 };
}

/** Whole percent of a job done (0 while its end is unknown). */
export function blockJobPercent(info: BlockJobInfo): number {
  return info.endBytes > 0 ? Math.floor((info.currentBytes * 100) / info.endBytes) : 0;
}

/** True when virsh says the disk has no block job (e.g. an abort that raced the job's end). */
export function isNoActiveBlockJob(stderr: string): boolean {
  return /does not have an active block job|no active block job/i.test(stderr);
}

/** True when virsh refused because the disk is already in a block job. */
export function isBlockJobBusy(stderr: string): boolean {
  return /already in active block job|block job .* (is )?already/i.test(stderr);
}

/** True when virsh refused because the domain is not running (it stopped meanwhile). */
export function isDomainNotRunning(stderr: string): boolean {
  return /domain is not running/i.test(stderr);
}

/**
 * Copies a disk to `temp` beside it (holes kept, mode and owner kept). The offline rebase
 * works on this copy, so an interrupted one leaves the disk itself untouched.
 */
export function copyForRebase(disk: string, temp: string): string[] {
  return ['cp', '--sparse=always', '--preserve=mode,ownership', '--', disk, temp];
}

/**
 * The safe rebase onto no backing file: qemu-img copies into the image every cluster it reads
 * from its backing chain, then drops the backing file from the header. Never `-u` (unsafe),
 * which would only rewrite the header and lose the backing data.
 */
export function qemuImgRebaseStandalone(path: string): string[] {
  return ['qemu-img', 'rebase', '-q', '-f', 'qcow2', '-b', '', path];
}

/** Puts the rebased copy in the disk's place in one rename, then makes the rename durable. */
export function replaceDisk(temp: string, disk: string): ShellFragment {
  return sh`mv -f -- ${temp} ${disk} && sync -- ${disk} ${disk.slice(0, disk.lastIndexOf('/')) || '/'}`;
}

/**
 * The hidden temp copies an interrupted offline rebase of `disk` may have left beside it
 * (`.<file>.part-<hex>`, as `tempPathFor` names them): a `find` that lists and deletes them.
 */
export function removeRebasePartials(disk: string): string[] {
  const slash = disk.lastIndexOf('/');
  return ['find', disk.slice(0, slash) || '/', '-maxdepth', '1', '-type', 'f', '-name', `.${disk.slice(slash + 1)}.part-*`, '-print', '-delete'];
}
