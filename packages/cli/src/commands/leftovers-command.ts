import { UnsupportedFunctionalityError } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import type { CommandContext } from './context.ts';

/** The KVM provisioner's leftovers report, as the CLI prints it. */
interface HostLeftoversShape {
  removed: boolean;
  interrupted: Array<{ node: string; record: { operation: string; pid: number; host: string; startedAt: string; paths: string[] }; domainDefined: boolean }>;
  orphanFiles: string[];
  partials: Array<{ image: string; path: string }>;
  unreadableRecords: string[];
  processes: Array<{ pid: number; command: string }>;
}

/** One of the ESX provisioner's leftovers (a VM or a capture's temporary copy whose operation died). */
interface InventoryLeftoverShape {
  kind: string;
  name: string;
  image?: string | undefined;
  operation: string | undefined;
  owner: string | undefined;
  removed: boolean;
}

/** What a provisioner's `leftovers()` returns: the KVM report, or the ESX list. */
export type LeftoversShape = HostLeftoversShape | InventoryLeftoverShape[];

interface WithLeftovers {
  leftovers(options: { remove?: boolean; signal?: AbortSignal }): Promise<LeftoversShape>;
}

/** The lines `provkit leftovers` prints for a report (`remove`: whether removal was asked). */
export function leftoverLines(report: LeftoversShape, remove: boolean): string[] {
  if (Array.isArray(report)) {
    const lines = report.map((item) => {
      const what = item.kind === 'capture' ? `temporary copy of a capture of ${item.image ?? 'an image'}` : item.kind;
      return `${what} ${item.name} (operation ${item.operation ?? 'unknown'}, owner ${item.owner ?? 'unknown'})${remove ? (item.removed ? ': removed' : ': NOT removed') : ''}`;
    });
    if (lines.length === 0) return ['nothing left behind'];
    return remove ? lines : [...lines, 'dry run: nothing removed (--remove removes them)'];
  }
  const lines = [
    ...report.interrupted.map((item) => `interrupted ${item.record.operation} of ${item.node} (pid ${item.record.pid} on ${item.record.host}, ${item.record.startedAt}): ${item.domainDefined ? `domain ${item.node}, ` : ''}${item.record.paths.join(', ')}`),
    ...report.orphanFiles.map((path) => `orphaned file ${path}`),
    ...report.partials.map((partial) => `partial copy of ${partial.image}: ${partial.path}`),
    ...report.unreadableRecords.map((path) => `unreadable intent record (left alone) ${path}`),
    ...report.processes.map((process) => `stray process ${process.pid}: ${process.command}`),
  ];
  if (lines.length === 0) return ['nothing left behind'];
  return [...lines, report.removed ? 'removed all of the above' : 'dry run: nothing removed (--remove removes them)'];
}

/**
 * `provkit leftovers [--remove]`: what provkit left on the configured host (KVM: interrupted
 * operations, orphaned disks, hidden partial captures, stray qemu-img; ESX: VMs and capture
 * copies whose operation died). Lists only, unless `--remove`.
 */
export async function leftoversCommand(context: CommandContext): Promise<number> {
  const remove = context.flags.remove === true;
  const provisioner = await context.provisioner();
  const withLeftovers = provisioner as unknown as Partial<WithLeftovers>;
  if (typeof withLeftovers.leftovers !== 'function') throw new UnsupportedFunctionalityError('leftovers', `the ${provisioner.provider} provisioner`);
  const stop = context.output.follow(provisioner.events);
  let report: LeftoversShape;
  try {
    report = await withLeftovers.leftovers({ remove, signal: context.signal });
  } finally {
    stop();
  }
  const lines = leftoverLines(report, remove);
  // The ESX list is wrapped so that JSON output is an object for every provisioner.
  const result = Array.isArray(report) ? { removed: remove && report.every((item) => item.removed), leftovers: report } : { ...report };
  context.output.result(result, () => lines.join('\n'));
  // An item asked to go that stayed is not a success.
  return Array.isArray(report) && remove && !report.every((item) => item.removed) ? EXIT.failure : EXIT.ok;
}
