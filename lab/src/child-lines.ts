/**
 * Reading the standard output of a child process a test started (a simulator, an
 * orchestrator or worker process): its first line, or its JSON lines with bounded waits for
 * one that matches. Shared by the packages' lab tests.
 */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the child's first stdout line; rejects past `timeoutMs` or when it exits first (with its stderr). */
export function firstStdoutLine(child: ChildProcess, what: string, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} to print its first line; its stderr ends: ${stderr().trim().split('\n').at(-1) ?? ''}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const end = buffer.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(buffer.slice(0, end));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${stderr().trim()}`));
    });
  });
}

/** A child that prints one JSON object per line, as {@link jsonLines} follows it. */
export interface JsonLines {
  /** Every JSON line printed so far (other lines are skipped). */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first line, printed or to come, that satisfies `match`; rejects past `timeoutMs` or when the child exits first. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal name) once the child exited. */
  exited: Promise<number | string>;
  /** The last 4000 characters of its stderr. */
  stderr(): string;
}

/** Follows `child`'s stdout as JSON lines; `what` names it in errors. */
export function jsonLines(child: ChildProcess, what: string): JsonLines {
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }>();
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const waiter of waiters) if (waiter.match(line)) (waiters.delete(waiter), waiter.resolve(line));
    }
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  const waitFor = (match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (line: Record<string, unknown>) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} to print a matching line; its stderr ends: ${stderr.trim().split('\n').at(-1) ?? ''}`))), timeoutMs);
      waiters.add(waiter);
      void exited.then((code) => {
        if (waiters.delete(waiter)) (clearTimeout(timer), reject(new Error(`${what} exited (${code}) before printing it: ${stderr.trim()}`)));
      });
    });
  };
  return { lines, waitFor, exited, stderr: () => stderr };
}
