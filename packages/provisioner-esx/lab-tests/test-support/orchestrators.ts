import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines, type VcsimLabState } from '@provkit/lab';

/** What one orchestrator process does (see `orchestrator-process.ts`). */
export interface OrchestratorInput {
  operation: 'load' | 'unload' | 'capture' | 'deleteImage';
  /** The node loaded, unloaded or captured (not read by `deleteImage`). */
  node: string;
  /** The image loaded, captured into (an ungeneralized copy: no guest here) or deleted. */
  image?: string;
  leaseMs?: number;
  /** Hold the load at its SSH wait until told `go` or `fail` (see `orchestrator-process.ts`). */
  gate?: boolean;
  /** Abort the operation's signal once its CloneVM_Task was answered (the task then runs on the endpoint). */
  abortOn?: 'clone-started';
}

/** A line an orchestrator process printed (see `orchestrator-process.ts`). */
export type OrchestratorLine = Record<string, unknown>;

/** An orchestrator running as its own node process. */
export interface Orchestrator {
  child: ChildProcess;
  /** Every line printed so far. */
  lines: OrchestratorLine[];
  /** Resolves with the first printed line `match` accepts (bounded; rejects if the process exits first). */
  waitFor(match: (line: OrchestratorLine) => boolean, timeoutMs?: number): Promise<OrchestratorLine>;
  /** Its `result` line. */
  result(): Promise<OrchestratorLine>;
  /** Writes a line to its stdin (the gate's `go` or `fail`). */
  tell(word: string): void;
  /** SIGKILL, and its end awaited. */
  kill(): Promise<void>;
  exited: Promise<number | string>;
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'orchestrator-process.ts');

/** Starts one orchestrator process running `operation` on the simulator. */
export function startOrchestrator(lab: VcsimLabState, input: OrchestratorInput): Orchestrator {
  const child = spawn(process.execPath, ['--conditions=provkit-source', script], {
    env: { ...process.env, PROVKIT_ESX_ORCHESTRATOR: JSON.stringify({ lab, ...input }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const { lines, waitFor: waitForLine, exited } = jsonLines(child, 'the orchestrator process');
  const waitFor = (match: (line: OrchestratorLine) => boolean, timeoutMs = 120_000): Promise<OrchestratorLine> => waitForLine(match, timeoutMs);
  return {
    child,
    lines,
    waitFor,
    result: () => waitFor((line) => line['result'] !== undefined),
    tell: (word) => child.stdin!.write(`${word}\n`),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}
