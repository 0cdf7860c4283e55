/**
 * A conformance check: one named test of the kit as a plain async function, so the same
 * checks register as vitest tests (`registerChecks`) and run without vitest's runner
 * (`runChecks`, which the kit's own tests use to prove that broken modules fail).
 */
export interface KitCheck {
  /** The `describe` group, e.g. `ProvisionerV1 power`. */
  group: string;
  /** The test's name: what it asserts. */
  name: string;
  /** Per-check timeout in milliseconds. */
  timeoutMs: number;
  /** Runs the check; `skip` ends it as skipped, naming the absent capability. */
  run(context: CheckContext): Promise<void>;
}

/** What a running check may do besides asserting. */
export interface CheckContext {
  /** Ends the check as skipped: only for a capability the module declares absent. */
  skip(reason: string): never;
}

/** Thrown by {@link CheckContext.skip} when a check runs outside vitest. */
export class CheckSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}

/** Builds a {@link KitCheck}. */
export function check(group: string, name: string, timeoutMs: number, run: (context: CheckContext) => Promise<void>): KitCheck {
  return { group, name, timeoutMs, run };
}
