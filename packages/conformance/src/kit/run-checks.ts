import type { KitCheck } from './check.ts';
import type { TestApi } from './test-api.ts';

/** How one check ended when run by {@link runChecks}. */
export interface CheckOutcome {
  group: string;
  name: string;
  status: 'passed' | 'failed';
  /** The failure. */
  reason?: string;
}

/** Registers each check as a vitest test, one `describe` per group, in order. */
export function registerChecks(test: TestApi, checks: readonly KitCheck[]): void {
  const groups = new Map<string, KitCheck[]>();
  for (const check of checks) groups.set(check.group, [...(groups.get(check.group) ?? []), check]);
  for (const [group, members] of groups) {
    test.describe(group, () => {
      for (const check of members) test.it(check.name, () => check.run(), check.timeoutMs);
    });
  }
}

function withTimeout(check: KitCheck, run: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${check.timeoutMs} ms`)), check.timeoutMs);
  });
  return Promise.race([run, expired]).finally(() => clearTimeout(timer));
}

/**
 * Runs checks one after the other without vitest's runner and reports each outcome; a check
 * that hangs fails at its timeout. For harnesses that judge a module by the kit (the kit's
 * own tests run it against deliberately broken modules).
 */
export async function runChecks(checks: readonly KitCheck[]): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const check of checks) {
    const where = { group: check.group, name: check.name };
    try {
      await withTimeout(check, check.run());
      outcomes.push({ ...where, status: 'passed' });
    } catch (error) {
      outcomes.push({ ...where, status: 'failed', reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}
