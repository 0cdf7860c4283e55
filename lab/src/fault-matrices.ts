/**
 * Runs the fault matrices of several provisioners as one (`npm run faults`): the options
 * `--subset ci|full`, `--case <pattern>` and `--json` pick rows across all of them, a matrix
 * none of whose rows is picked is not started (so `--case esx-` never touches the KVM lab), and
 * the rows print as one table, or one JSON document. Sets exit code 1 when a row is red.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { printFaultTable, type FaultRow, type FaultSelection } from './fault-table.ts';


/** One provisioner's matrix. */
export interface FaultMatrix {
  /** `kvm`, `esx`. */
  provisioner: string;
  /** The ids of the rows the selection picks, without starting anything. */
  select(selection: FaultSelection): Array<{ id: string }>;
  /** Runs the picked rows; `log` takes progress lines (none under `--json`). */
  run(selection: FaultSelection, options: { log: (line: string) => void }): Promise<FaultRow[]>;
}

/** Parses `argv` (as `process.argv.slice(2)`), runs the matrices' picked rows in order and prints them. */
export async function runFaultMatrices(matrices: readonly FaultMatrix[], argv: readonly string[]): Promise<FaultRow[]> {
  const { values } = parseArgs({ args: [...argv], options: { subset: { type: 'string' }, case: { type: 'string' }, json: { type: 'boolean' } } });
  const selection: FaultSelection = { ...(values.subset !== undefined ? { subset: values.subset } : {}), ...(values.case !== undefined ? { pattern: values.case } : {}) };
  const picked = matrices.filter((matrix) => matrix.select(selection).length > 0);
  if (picked.length === 0) throw new Error('no fault case matches');
  const log = values.json ? () => undefined : (line: string) => console.error(line);
  const rows: FaultRow[] = [];
  const started = performance.now();
  for (const matrix of picked) rows.push(...(await matrix.run(selection, { log })));
  const totalMs = Math.round(performance.now() - started);
  if (values.json) console.log(JSON.stringify({ rows, totalMs }, null, 2));
  else {
    printFaultTable(rows);
    console.log(`\n${rows.filter((row) => row.green).length}/${rows.length} rows green in ${Math.round(totalMs / 1000)} s`);
  }
  process.exitCode = rows.every((row) => row.green) ? 0 : 1;
  return rows;
}

/**
 * Runs one matrix file (`node --conditions=provkit-source <matrixPath> <args> --json`, as a
 * test does) and returns its rows by id. Its exit code is not read: a red row says what is wrong.
 */
export async function runFaultMatrixFile(matrixPath: string, args: readonly string[]): Promise<Map<string, FaultRow>> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=provkit-source', matrixPath, ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', () => resolve(stdout));
  });
  return new Map((JSON.parse(output) as { rows: FaultRow[] }).rows.map((row) => [row.id, row]));
}

/** What a test says of a row that is not green: what the caller saw, what was left, the next operation, the library. */
export function faultRowSummary(row: FaultRow): string {
  return `${row.id}: caller saw ${row.callerSaw}; left after fault: ${row.leftAfterFault.join('; ') || 'nothing'}; next: ${row.nextOperation}; left after next: ${row.leftAfterNext.join('; ') || 'nothing'}; library: ${row.libraryDetail}`;
}
