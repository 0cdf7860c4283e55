/**
 * A fault matrix's rows as vitest tests (one test per row, failing with the row's reasons), for
 * the CI subset's test files: the matrix runs once, in its own process, before the tests.
 * vitest's functions are passed in, as a conformance suite takes them, so the lab package does
 * not depend on vitest.
 */
import { faultRowSummary, runFaultMatrixFile } from './fault-matrices.ts';
import type { FaultRow } from './fault-table.ts';

/** The vitest functions the suite uses. */
export interface FaultSuiteTest {
  describe: (name: string, body: () => void) => void;
  it: { each: (cases: ReadonlyArray<readonly [string, string]>) => (name: string, body: (id: string) => void) => void };
  beforeAll: (body: () => Promise<void>, timeoutMs: number) => void;
  expect: (value: unknown, message?: string) => { toBeDefined(): void; toEqual(expected: unknown): void; toBe(expected: unknown): void };
}

/** Declares the suite: `matrixPath` run with `args`, one test per case of `rows`. */
export function faultMatrixSuite(test: FaultSuiteTest, options: { title: string; matrixPath: string; args: readonly string[]; rows: ReadonlyArray<{ id: string; title: string }>; timeoutMs: number }): void {
  let found = new Map<string, FaultRow>();
  test.beforeAll(async () => {
    found = await runFaultMatrixFile(options.matrixPath, options.args);
  }, options.timeoutMs);
  test.describe(options.title, () => {
    test.it.each(options.rows.map((fault) => [fault.id, fault.title] as const))('%s: %s — next operation ok, nothing orphaned, library intact', (id) => {
      const row = found.get(id);
      test.expect(row, `row ${id} did not run`).toBeDefined();
      test.expect(row!.reasons, faultRowSummary(row!)).toEqual([]);
      test.expect(row!.green).toBe(true);
    });
  });
}
