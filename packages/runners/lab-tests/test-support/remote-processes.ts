import { sh, waitFor } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';

/**
 * Waits, at most `timeoutMs`, for `path` on the target to hold the PIDs a command wrote there
 * (`$$` and its child's `$!`): proof the command runs, and the processes whose end a test checks.
 */
export function pidsWrittenTo(runner: CommandRunner, path: string, timeoutMs: number): Promise<number[]> {
  return waitFor({
    what: `the command to write its PIDs to ${path}`,
    timeoutMs,
    poll: async () => {
      const { stdout } = await runner.run(sh`cat ${path} 2>/dev/null`, { check: false });
      const pids = stdout.trim().split(' ').map(Number);
      return pids.length === 2 && pids.every((pid) => Number.isInteger(pid) && pid > 1) ? { done: true, value: pids } : { done: false, state: `file holds ${JSON.stringify(stdout)}` };
    },
  });
}

/**
 * Waits, at most `timeoutMs`, until none of `pids` runs on the target, checked with `kill -0`
 * over fresh commands. A SIGKILLed process leaves the process table only once reaped, so
 * zombies count as gone.
 */
export function processesGone(runner: CommandRunner, pids: readonly number[], timeoutMs: number): Promise<void> {
  return waitFor({
    what: `processes ${pids.join(', ')} to be gone`,
    timeoutMs,
    poll: async () => {
      const { stdout } = await runner.run(
        sh`for pid in ${pids.map(String)}; do if kill -0 "$pid" 2>/dev/null; then case "$(ps -o stat= -p "$pid")" in ''|Z*) ;; *) echo "$pid" ;; esac; fi; done`,
      );
      const alive = stdout.trim();
      return alive === '' ? { done: true, value: undefined } : { done: false, state: `still running: ${alive.split('\n').join(', ')}` };
    },
  });
}
