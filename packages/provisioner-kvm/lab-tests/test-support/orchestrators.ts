/**
 * Separate orchestrator OS processes (test-support/orchestrator-process.ts) on the lab's KVM host,
 * for the tests of what happens when several orchestrators meet there or one of them dies.
 * Tests synchronise on the processes' own output (host commands, progress steps, pauses),
 * never on time; every wait is bounded and names what it waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { KvmLab } from './lab-kvm.ts';
import type { OrchestratorJob } from './orchestrator-process.ts';

/** One line an orchestrator process printed. */
export interface OrchestratorEvent {
  type: 'command' | 'progress' | 'paused' | 'warning' | 'done';
  command?: string;
  step?: string;
  operation?: string;
  ok?: boolean;
  code?: string;
  causeCode?: string;
  message?: string;
  cleanupError?: string;
  result?: unknown;
  /** Order of arrival among the lines of every orchestrator this test started. */
  seq?: number;
}

/** A running orchestrator process. */
export interface Orchestrator {
  readonly events: OrchestratorEvent[];
  /** The first event (already seen or still to come) that `match` accepts. */
  until(what: string, match: (event: OrchestratorEvent) => boolean): Promise<OrchestratorEvent>;
  /** Lets a paused process go on. */
  resume(): void;
  /** SIGKILL, as a crashed orchestrator; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Its `done` line (rejects when the process ends without one). */
  readonly done: Promise<OrchestratorEvent>;
}

const WAIT_BOUND_MS = 240_000;
const SCRIPT = join(import.meta.dirname, 'orchestrator-process.ts');
const scratch = mkdtempSync(join(tmpdir(), 'provkit-orchestrators-'));
let started = 0;
let arrived = 0;

/** Starts one orchestrator process running `job` against the lab's host and library. */
export function startOrchestrator(lab: KvmLab, job: Pick<OrchestratorJob, 'operation' | 'image'> & Partial<OrchestratorJob>): Orchestrator {
  const full: OrchestratorJob = {
    host: { host: lab.sshd.host, port: lab.sshd.port, username: lab.sshd.username, privateKeyPath: lab.sshd.privateKeyPath, knownHostsPath: lab.sshd.knownHostsPath },
    guest: { username: lab.guest.guestUsername, privateKeyPath: lab.guest.privateKeyPath, knownHostsPath: join(scratch, `known_hosts-${++started}`) },
    libraryDir: lab.libraryDir,
    nodeDiskDir: lab.nodeDiskDir,
    uri: lab.libvirt.uri,
    domainType: lab.libvirt.domainType,
    directKernelBoot: { kernel: lab.guest.kernelPath, initrd: lab.guest.initrdPath, cmdline: lab.guest.kernelCmdline },
    ...job,
  };
  const child: ChildProcess = spawn(process.execPath, ['--conditions=provkit-source', SCRIPT, JSON.stringify(full)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: OrchestratorEvent[] = [];
  const waiters: Array<{ match: (event: OrchestratorEvent) => boolean; resolve: (event: OrchestratorEvent) => void }> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: OrchestratorEvent;
    try {
      event = JSON.parse(line) as OrchestratorEvent;
    } catch {
      return;
    }
    event.seq = ++arrived;
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.match(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  const until = (what: string, match: (event: OrchestratorEvent) => boolean): Promise<OrchestratorEvent> => {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => reject(new Error(`orchestrator ${job.operation}: ${why} waiting for ${what}; last lines: ${JSON.stringify(events.slice(-5))}; stderr: ${stderr}`));
      const timer = setTimeout(() => fail(`${WAIT_BOUND_MS} ms passed`), WAIT_BOUND_MS);
      void exited.then(() => fail('the process ended'));
      waiters.push({
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  };
  const done = until('its result', (event) => event.type === 'done');
  // A killed process never says done: that is the test's intent, not an unhandled failure.
  done.catch(() => undefined);
  return {
    events,
    until,
    resume: () => void child.stdin!.write('go\n'),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    done,
  };
}
