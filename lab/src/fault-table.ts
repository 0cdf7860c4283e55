/**
 * The fault matrix's rows, shared by every provisioner's matrix (`npm run faults`): one row
 * type, one way to pick rows (`--subset`, `--case`) and one table, so the KVM and the ESX rows
 * print as one table with the same columns.
 */

/** One row of the table. */
export interface FaultRow {
  /** The provisioner the row faults (`kvm`, `esx`). */
  provisioner: string;
  id: string;
  title: string;
  callerSaw: string;
  leftAfterFault: string[];
  nextOperation: string;
  nextOk: boolean;
  leftAfterNext: string[];
  /** The library image (KVM) or template (ESX) the rows load from is unchanged. */
  libraryIntact: boolean;
  libraryDetail: string;
  green: boolean;
  /** Why the row is red, one reason each. */
  reasons: string[];
  notes: string[];
  durationMs: number;
}

/** Which rows to run: `subset` `ci` (the fast representative rows) or `full`, narrowed to ids containing `pattern`. */
export interface FaultSelection {
  subset?: string;
  pattern?: string;
}

/** The rows of `cases` the selection names, in their order. */
export function selectFaultCases<Case extends { id: string; ci?: boolean }>(cases: readonly Case[], selection: FaultSelection = {}): Case[] {
  let selected = [...cases];
  if (selection.subset === 'ci') selected = selected.filter((fault) => fault.ci);
  else if (selection.subset !== undefined && selection.subset !== 'full') throw new Error(`--subset must be ci or full, not ${selection.subset}`);
  if (selection.pattern) selected = selected.filter((fault) => fault.id.includes(selection.pattern!));
  return selected;
}

/** A row from what it found: green when no reason was given; its time counted from `startedAt` (a `performance.now()`). */
export function faultRow(found: Omit<FaultRow, 'green' | 'durationMs'>, startedAt: number): FaultRow {
  return { ...found, green: found.reasons.length === 0, durationMs: Math.round(performance.now() - startedAt) };
}

/** Runs the rows one after the other, logging each one's start and end. */
export async function runFaultRows<Case extends { id: string }>(cases: readonly Case[], run: (fault: Case) => Promise<FaultRow>, log: (line: string) => void): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  for (const fault of cases) {
    log(`[faults] ${fault.id} ...`);
    const row = await run(fault);
    rows.push(row);
    log(faultRowLine(row));
  }
  return rows;
}

/** The progress line of a finished row. */
export function faultRowLine(row: FaultRow): string {
  return `[faults] ${row.green ? 'GREEN' : 'RED'} ${row.id} (${Math.round(row.durationMs / 1000)} s)${row.green ? '' : `: ${row.reasons.join('; ')}`}`;
}

/** Prints rows as one markdown table, then the reasons of the red rows and the notes of the green ones. */
export function printFaultTable(rows: readonly FaultRow[]): void {
  const cell = (items: readonly string[]): string => (items.length === 0 ? 'nothing' : items.join('; '));
  const lines = rows.map((row) => [row.green ? 'GREEN' : 'RED', row.id, row.callerSaw, cell(row.leftAfterFault), row.nextOperation, cell(row.leftAfterNext), row.libraryIntact ? 'yes' : `NO: ${row.libraryDetail}`, `${Math.round(row.durationMs / 1000)}s`]);
  const header = ['', 'case', 'what the caller saw', 'left on host after fault', 'next operation (fresh process)', 'left after next', 'library intact', 'time'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const line of lines) console.log(`| ${line.map((text) => text.replaceAll('|', '/').replaceAll('\n', ' ')).join(' | ')} |`);
  const red = rows.filter((row) => !row.green);
  for (const row of red) console.log(`RED ${row.id}: ${row.reasons.join('; ')}${row.notes.length ? ` (notes: ${row.notes.join('; ')})` : ''}`);
  for (const row of rows.filter((candidate) => candidate.green && candidate.notes.length)) console.log(`note ${row.id}: ${row.notes.join('; ')}`);
}
