import type { GeneralizationReportEntry } from '@provkit/core';
import type { GuestAction } from '../script/actions.ts';

/** Guest script verbs that take something away, that empty it in place, and that report no change. */
const REMOVED = new Set(['removed', 'deleted-user']);
const EMPTIED = new Set(['truncated', 'wiped']);
const NO_CHANGE = new Set(['kept', 'note', 'failed']);

/**
 * One operation's entry of the generalization report: its actions grouped into removed
 * (files, directories, accounts as `user <name>`), emptied (truncated files, wiped swap) and
 * changed (everything else that changed: edits, replaced keys, created files, stopped processes).
 */
export function reportEntry(operation: string, actions: readonly GuestAction[]): GeneralizationReportEntry {
  const entry: GeneralizationReportEntry = { operation, removed: [], emptied: [], changed: [] };
  for (const { verb, object } of actions) {
    if (NO_CHANGE.has(verb)) continue;
    if (REMOVED.has(verb)) entry.removed.push(verb === 'deleted-user' ? `user ${object}` : object);
    else if (EMPTIED.has(verb)) entry.emptied.push(object);
    else entry.changed.push(verb === 'changed' ? object : `${verb} ${object}`);
  }
  return entry;
}

/** `removed 3, emptied 1, changed 2`: the totals of a report, for a progress event. */
export function reportTotals(entries: readonly GeneralizationReportEntry[]): string {
  const count = (pick: (entry: GeneralizationReportEntry) => readonly string[]) => entries.reduce((sum, entry) => sum + pick(entry).length, 0);
  return `removed ${count((entry) => entry.removed)}, emptied ${count((entry) => entry.emptied)}, changed ${count((entry) => entry.changed)}`;
}
