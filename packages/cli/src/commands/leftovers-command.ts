import { UnsupportedFunctionalityError } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import type { CommandContext } from './context.ts';

/** The shape of a provisioner's leftovers report the CLI prints (the KVM provisioner's). */
interface LeftoversReportShape {
  removed: boolean;
  interrupted: Array<{ node: string; record: { operation: string; pid: number; host: string; startedAt: string; paths: string[] }; domainDefined: boolean }>;
  orphanFiles: string[];
  partials: Array<{ image: string; path: string }>;
  unreadableRecords: string[];
  processes: Array<{ pid: number; command: string }>;
}

interface WithLeftovers {
  leftovers(options: { remove?: boolean; signal?: AbortSignal }): Promise<LeftoversReportShape>;
}

/**
 * `provkit leftovers [--remove]`: what provkit left on the configured host (interrupted
 * operations, orphaned disks, hidden partial captures, stray qemu-img). Lists only, unless
 * `--remove`.
 */
export async function leftoversCommand(context: CommandContext): Promise<number> {
  const remove = context.flags.remove === true;
  const provisioner = await context.provisioner();
  const withLeftovers = provisioner as unknown as Partial<WithLeftovers>;
  if (typeof withLeftovers.leftovers !== 'function') throw new UnsupportedFunctionalityError('leftovers', `the ${provisioner.provider} provisioner`);
  const stop = context.output.follow(provisioner.events);
  let report: LeftoversReportShape;
  try {
    report = await withLeftovers.leftovers({ remove, signal: context.signal });
  } finally {
    stop();
  }
  const lines = [
    ...report.interrupted.map((item) => `interrupted ${item.record.operation} of ${item.node} (pid ${item.record.pid} on ${item.record.host}, ${item.record.startedAt}): ${item.domainDefined ? `domain ${item.node}, ` : ''}${item.record.paths.join(', ')}`),
    ...report.orphanFiles.map((path) => `orphaned file ${path}`),
    ...report.partials.map((partial) => `partial copy of ${partial.image}: ${partial.path}`),
    ...report.unreadableRecords.map((path) => `unreadable intent record (left alone) ${path}`),
    ...report.processes.map((process) => `stray process ${process.pid}: ${process.command}`),
  ];
  context.output.result({ ...report }, () => (lines.length === 0 ? 'nothing left behind' : [...lines, report.removed ? 'removed all of the above' : 'dry run: nothing removed (--remove removes them)'].join('\n')));
  return EXIT.ok;
}
