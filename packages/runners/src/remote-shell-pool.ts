import type { Client } from 'ssh2';
import { Semaphore } from '@provkit/core';
import type { ProcessHandle } from './execution.ts';
import { RemoteShell, ShellGoneError, ShellUnsupportedError } from './remote-shell.ts';

/** Options of {@link RemoteShellPool}. */
export interface RemoteShellPoolOptions {
  label: string;
  /** Shells kept on one connection, hence commands running at once through them. */
  maxShells: number;
  /** Bound on starting one shell. */
  openTimeoutMs: number;
  /** How long a killed command may take to report its end before its shell is closed instead. */
  stuckShellMs: number;
  /** Called each time a shell is started (for statistics). */
  onShellStarted?: () => void;
}

/** Options of {@link RemoteShellPool.start}. */
export interface PooledStartOptions {
  client: Client;
  text: string;
  withStdin: boolean;
  killGroup: (pgid: number) => void;
  signal?: AbortSignal | undefined;
}

/**
 * The persistent shells of one SSH connection: at most `maxShells`, each running one command
 * at a time, started on demand and kept while they live. A shell found closed is dropped and a
 * fresh one started; a command whose shell closed before it started is sent to a fresh shell.
 */
export class RemoteShellPool {
  readonly #options: RemoteShellPoolOptions;
  readonly #slots: Semaphore;
  #idle: RemoteShell[] = [];
  #unsupported = false;

  constructor(options: RemoteShellPoolOptions) {
    this.#options = options;
    this.#slots = new Semaphore(options.maxShells);
  }

  /** False once the host turned out unable to run the shell program (then use exec channels). */
  get supported(): boolean {
    return !this.#unsupported;
  }

  /**
   * Starts a command in a free shell of `client` (waiting for one when all are busy) and resolves
   * with its handle once it runs. Throws {@link ShellUnsupportedError} on a host that cannot
   * run the shell program.
   */
  start(options: PooledStartOptions): Promise<ProcessHandle> {
    return new Promise<ProcessHandle>((resolve, reject) => {
      this.#slots
        .run(async () => {
          const { handle, finished } = await this.#startInAShell(options);
          resolve(handle);
          // The slot is held until the shell can take the next command.
          await finished;
        }, options.signal)
        .catch(reject);
    });
  }

  async #startInAShell(options: PooledStartOptions): Promise<{ handle: ProcessHandle; finished: Promise<void> }> {
    for (let attempt = 0; ; attempt++) {
      const shell = await this.#take(options.client);
      const started = shell.start({ text: options.text, withStdin: options.withStdin, killGroup: options.killGroup, stuckShellMs: this.#options.stuckShellMs });
      const finished = started.finished.then(() => {
        if (shell.idle) this.#idle.push(shell);
      });
      try {
        return { handle: await started.handle, finished };
      } catch (error) {
        await finished;
        if (error instanceof ShellGoneError && attempt === 0) continue;
        throw error;
      }
    }
  }

  async #take(client: Client): Promise<RemoteShell> {
    // Shells of an earlier connection died with it.
    this.#idle = this.#idle.filter((shell) => shell.idle && shell.client === client);
    const shell = this.#idle.pop();
    if (shell) return shell;
    try {
      const opened = await RemoteShell.open({ client, label: this.#options.label, timeoutMs: this.#options.openTimeoutMs });
      this.#options.onShellStarted?.();
      return opened;
    } catch (error) {
      if (error instanceof ShellUnsupportedError) this.#unsupported = true;
      throw error;
    }
  }

  /** Closes every idle shell (busy ones end with their connection). */
  close(): void {
    for (const shell of this.#idle) shell.close();
    this.#idle = [];
  }
}
