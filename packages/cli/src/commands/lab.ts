import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '@provkit/core';

/**
 * The lab's scripts live in the provkit repository (`lab/`), not in the published package:
 * they install Debian packages and start daemons. `provkit lab` finds them through
 * `PROVKIT_LAB_ROOT` or by walking up from this file in a checkout.
 */
export function findLabRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROVKIT_LAB_ROOT) return env.PROVKIT_LAB_ROOT;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'lab', 'services'))) return join(dir, 'lab');
    dir = dirname(dir);
  }
  throw new InvalidInputError('lab', 'the lab scripts were not found: run provkit from a provkit checkout or set PROVKIT_LAB_ROOT to its lab/ folder');
}

/** `provkit lab up|down|status [service...]`. */
export function labCommand(args: string[], signal: AbortSignal): Promise<number> {
  const [action] = args;
  if (!action || !['up', 'down', 'status', 'packages'].includes(action)) throw new InvalidInputError('lab', 'usage: provkit lab up|down|status|packages [service...]');
  const root = findLabRoot();
  return new Promise((resolve, reject) => {
    // The lab's entry point is TypeScript: Node 22.18+ and 24 run it as is, 22.12-22.17 need the flag.
    const strip = (process.features as { typescript?: unknown }).typescript ? [] : ['--experimental-strip-types'];
    const child = spawn(process.execPath, [...strip, join(root, 'src', 'cli.ts'), ...args], { stdio: 'inherit', signal });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
