/**
 * vitest global setup of both projects: the run gets a scratch directory of its own as
 * `TMPDIR` (so every `mkdtemp(tmpdir())` in a test lands there), and it is removed when the
 * run ends, passed or failed. Tests still clean up what they can; this catches the rest, so
 * a test run leaves no key files, known_hosts or copies in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const scratch = mkdtempSync(join(previous ?? tmpdir(), 'provkit-test-run-'));
  process.env.TMPDIR = scratch;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(scratch, { recursive: true, force: true });
  };
}
