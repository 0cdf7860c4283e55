/** Runs a Perl test script of integrations/vcl with Debian's perl, the provkit modules on its include path. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { CLI_ENTRY } from './serve-child.ts';

/** integrations/vcl in this checkout. */
export const VCL_INTEGRATION = join(import.meta.dirname, '..', '..', '..', 'integrations', 'vcl');

/** What a TAP script printed and how it ended. */
export interface TapRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `1..N`, or undefined when the plan was never printed (the script died). */
  planned: number | undefined;
  passed: string[];
  failed: string[];
}

/**
 * Runs `perl <script>` with `PROVKIT_COMMAND` running this checkout's CLI from source (the same
 * node as the test) and `PROVKIT_CONFIG` set, in `cwd`; resolves once it exits.
 */
export function runPerlTap(options: { script: string; cwd: string; config: string; env?: Record<string, string> }): Promise<TapRun> {
  const nodeDir = dirname(process.execPath);
  const child = spawn('perl', ['-I', join(VCL_INTEGRATION, 't', 'lib'), '-I', join(VCL_INTEGRATION, 'lib'), join(VCL_INTEGRATION, 't', options.script)], {
    cwd: options.cwd,
    env: {
      ...process.env,
      PATH: `${nodeDir}:${process.env.PATH ?? ''}`,
      PROVKIT_COMMAND: `${process.execPath} --conditions=provkit-source ${CLI_ENTRY}`,
      PROVKIT_CONFIG: options.config,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      const lines = stdout.split('\n');
      const plan = lines.map((line) => /^1\.\.(\d+)$/.exec(line)).find(Boolean);
      resolve({
        code,
        stdout,
        stderr,
        planned: plan ? Number(plan[1]) : undefined,
        passed: lines.filter((line) => line.startsWith('ok ')).map((line) => line.replace(/^ok \d+ - /, '')),
        failed: lines.filter((line) => line.startsWith('not ok ')),
      });
    });
  });
}
