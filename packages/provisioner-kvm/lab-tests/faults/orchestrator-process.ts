/**
 * Starts a {@link OrchestratorJob} in its own Node process and follows its JSON lines, so a
 * fault can be injected when its progress reaches a step (SIGKILL of the process, a daemon
 * restart, a stopped connection). Every run is bounded: a process still running at its
 * deadline is SIGKILLed and reported as hung.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { OrchestratorJob, OrchestratorLine } from './fault-orchestrator.ts';

const orchestratorPath = join(import.meta.dirname, 'fault-orchestrator.ts');

/** How an orchestrator process ended. */
export interface OrchestratorOutcome {
  lines: OrchestratorLine[];
  result: Extract<OrchestratorLine, { type: 'result' }> | undefined;
  /** The signal that ended it (`SIGKILL` when the matrix killed it). */
  signal: NodeJS.Signals | null;
  exitCode: number | null;
  /** Killed at its deadline (the operation or its close never ended). */
  hung: boolean;
  /** ms from the result line to the process's exit (a slow close shows here). */
  exitAfterResultMs: number | undefined;
  durationMs: number;
}

/** A running orchestrator. */
export interface OrchestratorHandle {
  child: ChildProcess;
  done: Promise<OrchestratorOutcome>;
}

/**
 * Starts the job. `onLine` sees every line as it arrives (with the child, to kill it);
 * `deadlineMs` bounds the whole process.
 */
export function startOrchestrator(job: OrchestratorJob, options: { onLine?: (line: OrchestratorLine, child: ChildProcess) => void; deadlineMs: number }): OrchestratorHandle {
  const started = performance.now();
  const child = spawn(process.execPath, ['--conditions=provkit-source', orchestratorPath, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: OrchestratorLine[] = [];
  let resultAt: number | undefined;
  let hung = false;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: OrchestratorLine;
    try {
      line = JSON.parse(text) as OrchestratorLine;
    } catch {
      return;
    }
    lines.push(line);
    if (line.type === 'result') resultAt = performance.now();
    options.onLine?.(line, child);
  });
  const deadline = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, options.deadlineMs);
  const done = new Promise<OrchestratorOutcome>((resolve) => {
    child.once('close', (exitCode, signal) => {
      clearTimeout(deadline);
      const result = lines.find((line): line is Extract<OrchestratorLine, { type: 'result' }> => line.type === 'result');
      if (!result && !signal && exitCode !== 0) process.stderr.write(`orchestrator exited ${exitCode} without a result: ${stderr}\n`);
      resolve({ lines, result, signal, exitCode, hung, exitAfterResultMs: resultAt === undefined ? undefined : Math.round(performance.now() - resultAt), durationMs: Math.round(performance.now() - started) });
    });
  });
  return { child, done };
}

/** Runs a job to its end. */
export function runOrchestrator(job: OrchestratorJob, deadlineMs: number): Promise<OrchestratorOutcome> {
  return startOrchestrator(job, { deadlineMs }).done;
}

/** What the caller saw, in one line: ok, the typed error, or the kill. */
export function callerSaw(outcome: OrchestratorOutcome, killedBy?: string): string {
  if (outcome.hung) return `HUNG: still running at its deadline (${Math.round(outcome.durationMs / 1000)} s)${outcome.result ? ' after its result (close never ended)' : ''}`;
  if (killedBy && outcome.signal === 'SIGKILL') return killedBy;
  const slowExit = outcome.exitAfterResultMs !== undefined && outcome.exitAfterResultMs > 10_000 ? `; process exited ${Math.round(outcome.exitAfterResultMs / 1000)} s after its result` : '';
  if (!outcome.result) return `no result (exit ${outcome.exitCode ?? outcome.signal})`;
  if (outcome.result.ok) return `ok (${Math.round(outcome.durationMs / 1000)} s)${slowExit}`;
  const error = outcome.result.error;
  const cleanup = error.cleanupError ? `; cleanupError: ${error.cleanupError.slice(0, 80)}` : '';
  return `${error.code ?? error.name}${error.step ? ` at ${error.step}` : ''}: ${error.message.slice(0, 110)}${cleanup}${slowExit}`;
}
