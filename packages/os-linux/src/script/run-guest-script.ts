import type { ShellFragment } from '@provkit/core';
import type { CommandRunner, RunOptions } from '@provkit/runners';
import { parseActions, type GuestAction } from './actions.ts';

/** Runs a guest script (failing on a non-zero exit) and returns what it reported. */
export async function runGuestScript(runner: CommandRunner, script: ShellFragment, options: RunOptions = {}): Promise<{ actions: GuestAction[]; stdout: string }> {
  const result = await runner.run(script, options);
  return { actions: parseActions(result.stdout), stdout: result.stdout };
}
