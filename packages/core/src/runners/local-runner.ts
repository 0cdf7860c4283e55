import { spawn } from 'node:child_process';
import { chmod, copyFile, writeFile } from 'node:fs/promises';
import { createEmitter, type ProvkitEmitter } from '../events/index.ts';
import { Secret } from '../secret/index.ts';
import type { Command, CommandResult, CommandRunner, RunOptions, TransferOptions } from './command-runner.ts';
import { execute, type ProcessHandle } from './execution.ts';
import { commandText, displayCommand } from './render-command.ts';

/** Options of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  events?: ProvkitEmitter;
  /** Default per-command timeout (default 10 min). */
  commandTimeoutMs?: number;
}

/**
 * Runs commands on this machine through `sh -c`, in their own process group so a timeout or
 * abort kills the whole pipeline. For a hypervisor that is the local machine.
 */
export class LocalRunner implements CommandRunner {
  readonly target = 'local';
  readonly events: ProvkitEmitter;
  readonly #timeoutMs: number;

  constructor(options: LocalRunnerOptions = {}) {
    this.events = options.events ?? createEmitter();
    this.#timeoutMs = options.commandTimeoutMs ?? 600_000;
  }

  run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const text = commandText(command);
    const secrets = options.secrets ?? [];
    const display = displayCommand(text, secrets);
    const start = async (): Promise<ProcessHandle> => {
      const child = spawn('/bin/sh', ['-c', text], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      });
      return {
        stdout: child.stdout,
        stderr: child.stderr,
        stdin: child.stdin,
        exited,
        kill: () => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        },
      };
    };
    return execute(start, { target: this.target, display, events: this.events, defaultTimeoutMs: this.#timeoutMs, secrets }, options);
  }

  async writeFile(path: string, data: string | Uint8Array | Secret, options: TransferOptions = {}): Promise<void> {
    const content = Secret.isSecret(data) ? data.reveal() : data;
    await writeFile(path, content, { mode: options.mode ?? 0o644, signal: options.signal });
    if (options.mode !== undefined) await chmod(path, options.mode);
  }

  async uploadFile(localPath: string, remotePath: string, options: TransferOptions = {}): Promise<void> {
    await copyFile(localPath, remotePath);
    if (options.mode !== undefined) await chmod(remotePath, options.mode);
  }

  async downloadFile(remotePath: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    await copyFile(remotePath, localPath);
    if (options.mode !== undefined) await chmod(localPath, options.mode);
  }
}
