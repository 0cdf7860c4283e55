/**
 * A conformance check: one named test of the kit as a plain async function, so the same
 * checks register as vitest tests (`registerChecks`) and run without vitest's runner
 * (`runChecks`, which the kit's own tests use to prove that broken modules fail).
 *
 * A check never skips: where a module declares a capability absent, the check asserts what
 * the contract promises instead (the operation refused with `UNSUPPORTED_FUNCTIONALITY`
 * before any command), so every check passes or fails on what the module did.
 */
export interface KitCheck {
  /** The `describe` group, e.g. `ProvisionerV1 power`. */
  group: string;
  /** The test's name: what it asserts. */
  name: string;
  /** Per-check timeout in milliseconds. */
  timeoutMs: number;
  /** Runs the check. */
  run(): Promise<void>;
}

/** Builds a {@link KitCheck}. */
export function check(group: string, name: string, timeoutMs: number, run: () => Promise<void>): KitCheck {
  return { group, name, timeoutMs, run };
}
