/**
 * The fault matrix's CI subset (`npm run faults -- --subset ci`) as a lab test: real faults on
 * the lab (an orchestrator SIGKILLed before and after the disk exists, an abort, libvirtd
 * restarted, the host's sshd connection killed, two orchestrators on one node, a delete during
 * a load, a killed unload, a capture killed while it copies),
 * each row then checked by inspecting the host, running the next operation from a fresh process
 * and checking the library. One test per row, failing with the row's reasons.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectCases } from './faults/fault-cases.ts';
import type { FaultRow } from '@provkit/lab';

const matrix = join(import.meta.dirname, 'faults', 'fault-matrix.ts');
const rows = new Map<string, FaultRow>();

beforeAll(async () => {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=provkit-source', matrix, '--subset', 'ci', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    // Exit 1 means a red row: the rows say which, below.
    child.once('close', () => resolve(stdout));
  });
  for (const row of (JSON.parse(output) as { rows: FaultRow[] }).rows) rows.set(row.id, row);
}, 1_200_000);

describe('fault matrix, CI subset, on the lab', () => {
  it.each(selectCases({ subset: 'ci' }).map((fault) => [fault.id, fault.title]))('%s: %s — next operation ok, nothing orphaned, library intact', (id) => {
    const row = rows.get(id);
    expect(row, `row ${id} did not run`).toBeDefined();
    expect(row!.reasons, `${id}: caller saw ${row!.callerSaw}; left after fault: ${row!.leftAfterFault.join('; ') || 'nothing'}; next: ${row!.nextOperation}; left after next: ${row!.leftAfterNext.join('; ') || 'nothing'}; library: ${row!.libraryDetail}`).toEqual([]);
    expect(row!.green).toBe(true);
  });
});
