/** Runs the `provkit` CLI in the test's process and captures what it writes. */
import { vi } from 'vitest';
import { main, type MainOptions } from '../src/main.ts';

/** What one CLI run returned and wrote. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `provkit <argv>` through `main`, capturing stdout, stderr and console.log. */
export async function runCli(argv: string[], options: MainOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((text: unknown) => void (stdout += `${String(text)}\n`));
  try {
    return { code: await main(argv, undefined, options), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}
