/**
 * The rows of the fault matrix: each injects one real fault into one KVM provisioner operation
 * run by a separate orchestrator process, and says what the caller saw. The matrix does the
 * rest for every row alike (the node loaded first for unload and capture rows, the host
 * inspected, the next operation run from fresh processes, the library checked).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeSpec } from '@provkit/core';
import { restartLabLibvirtd, selectFaultCases, type FaultSelection } from '@provkit/lab';
import { local, runDomains, type FaultRunLayout } from './fault-host.ts';
import { convertsInto, fillGuestDisk, growSmallFs, killGuestSshd, mountSmallFs, qemuPidOf, signalAll, sshdServing, unmountSmallFs } from './fault-injectors.ts';
import type { OrchestratorJob, OrchestratorLine } from './fault-orchestrator.ts';
import { callerSaw, runOrchestrator, startOrchestrator, type OrchestratorOutcome } from './orchestrator-process.ts';

/** What every row can use. */
export interface FaultContext {
  layout: FaultRunLayout;
  uri: string;
  image: string;
  sshdPort: number;
  guestKeyPath: string;
  /** A job for this run's directories. */
  job: (operation: OrchestratorJob['operation'], node: NodeSpec | undefined, extra?: Partial<OrchestratorJob>) => OrchestratorJob;
}

/** What a row's fault did, as the caller of the operation saw it. */
export interface FaultResult {
  callerSaw: string;
  /** True when no orchestrator was killed: its own clean-up must then leave nothing. */
  survived: boolean;
  hung?: boolean;
  notes?: string[];
  /** What the row itself found wrong (beyond what every row checks). */
  reasons?: string[];
  /** The faulted operation succeeded all the same (a load's node is then rightly on the host; a captured image is in the library). */
  keepNode?: boolean;
}

/** One row. */
export interface FaultCase {
  id: string;
  title: string;
  /** The operation faulted: decides the setup (a loaded node for unload/capture) and the next operations. */
  kind: 'load' | 'unload' | 'capture';
  /** In the fast CI subset. */
  ci?: boolean;
  /** The row's library is a small filesystem ({@link prepareSmallLibrary}), for the whole row. */
  smallLibrary?: boolean;
  inject: (context: FaultContext, node: NodeSpec) => Promise<FaultResult>;
  /** Runs after the next operations, whatever happened (e.g. unmounts). */
  restore?: (context: FaultContext, node: NodeSpec) => Promise<void>;
}

/** Deadline of one faulted orchestrator (bounds a hang). */
const FAULT_DEADLINE_MS = 300_000;

/**
 * How long libvirtd stays down in a restart: a busy daemon's restart takes seconds, and the
 * window must outlast one boot-wait poll (at most 1 s apart) so each row hits what it names.
 */
const LIBVIRTD_DOWN_SECONDS = 5;

/** The command bound of the held-stop row: a short one, so a stretched timeout shows. */
const HELD_COMMAND_TIMEOUT_MS = 15_000;

const LOAD_STEPS = ['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done'] as const;
const UNLOAD_STEPS = ['started', 'powered-off', 'node-removed'] as const;
const CAPTURE_STEPS = ['started', 'pre-capture-done', 'powered-off'] as const;

const isStep = (line: OrchestratorLine, operation: string, step: string): boolean => line.type === 'progress' && line.operation === operation && line.step === step;

/** Runs `job`, calls `fault` once when `when` matches a line, and waits for both. */
async function faulted(job: OrchestratorJob, when: (line: OrchestratorLine) => boolean, fault: (pid: number) => Promise<void> | void): Promise<{ outcome: OrchestratorOutcome; fired: boolean }> {
  let injection: Promise<void> | undefined;
  const handle = startOrchestrator(job, {
    deadlineMs: FAULT_DEADLINE_MS,
    onLine: (line, child) => {
      if (injection === undefined && when(line)) injection = Promise.resolve(fault(child.pid!));
    },
  });
  const outcome = await handle.done;
  await injection;
  return { outcome, fired: injection !== undefined };
}

function notFired(fired: boolean, what: string): string[] {
  return fired ? [] : [`fault not injected: ${what} was never reported`];
}

/** The result of one orchestrator that was not killed: a load that still succeeded rightly leaves its node. */
function survived(outcome: OrchestratorOutcome, reasons: string[]): FaultResult {
  return { callerSaw: callerSaw(outcome), survived: true, hung: outcome.hung, reasons, ...(outcome.result?.ok ? { keepNode: true } : {}) };
}

/** SIGKILL of the orchestrator in the same tick its `step` line arrives. */
function killAt(kind: 'load' | 'unload' | 'capture', step: string, ci = false): FaultCase {
  return {
    id: `${kind}-kill-at-${step}`,
    title: `SIGKILL of the orchestrator at ${kind} step ${step}`,
    kind,
    ci,
    inject: async (context, node) => {
      let fired = false;
      const handle = startOrchestrator(context.job(kind, node, kind === 'capture' ? { image: `${node.name}-v1` } : {}), {
        deadlineMs: FAULT_DEADLINE_MS,
        onLine: (line, child) => {
          if (!fired && isStep(line, kind, step)) {
            fired = true;
            child.kill('SIGKILL');
          }
        },
      });
      const outcome = await handle.done;
      // A kill that landed after the operation had ended finds its node rightly there.
      return { callerSaw: callerSaw(outcome, `killed at ${step}`), survived: outcome.signal !== 'SIGKILL', hung: outcome.hung, reasons: notFired(fired, step), ...(outcome.result?.ok ? { keepNode: true } : {}) };
    },
  };
}

function abortAt(kind: 'load' | 'unload' | 'capture', step: string, ci = false): FaultCase {
  return {
    id: `${kind}-abort-at-${step}`,
    title: `abort (AbortSignal) at ${kind} step ${step}`,
    kind,
    ci,
    inject: async (context, node) => {
      const outcome = await runOrchestrator(context.job(kind, node, { abortAt: { operation: kind, step }, ...(kind === 'capture' ? { image: `${node.name}-v1` } : {}) }), FAULT_DEADLINE_MS);
      const fired = outcome.lines.some((line) => isStep(line, kind, step));
      return survived(outcome, notFired(fired, step));
    },
  };
}

function libvirtdRestartAt(step: string, ci = false): FaultCase {
  return {
    id: `load-libvirtd-restart-at-${step}`,
    title: `libvirtd restarted (down ${LIBVIRTD_DOWN_SECONDS} s) at load step ${step}`,
    kind: 'load',
    ci,
    inject: async (context, node) => {
      const { outcome, fired } = await faulted(context.job('load', node), (line) => isStep(line, 'load', step), async () => {
        await restartLabLibvirtd({ downSeconds: LIBVIRTD_DOWN_SECONDS });
      });
      return survived(outcome, notFired(fired, step));
    },
  };
}

function sshdConnection(action: 'kill' | 'stop', step: string, ci = false): FaultCase {
  return {
    id: `load-host-sshd-${action}-at-${step}`,
    title: action === 'kill' ? `the sshd process serving the orchestrator's host connection SIGKILLed at load step ${step}` : `the sshd process serving the orchestrator's host connection SIGSTOPped for 30 s at load step ${step}, then SIGCONT`,
    kind: 'load',
    ci,
    inject: async (context, node) => {
      const notes: string[] = [];
      const { outcome, fired } = await faulted(context.job('load', node), (line) => isStep(line, 'load', step), async (pid) => {
        const served = await sshdServing(pid, context.sshdPort);
        if (served.length === 0) notes.push('fault not injected: no sshd process served the orchestrator at the step');
        if (action === 'kill') return signalAll(served, 'KILL');
        await signalAll(served, 'STOP');
        // The stop lasts a fixed time on purpose: it is the fault's length, not a synchronization.
        await new Promise((resolve) => setTimeout(resolve, 30_000));
        await signalAll(served, 'CONT');
      });
      return survived(outcome, [...notes, ...notFired(fired, step)]);
    },
  };
}

/** Two orchestrator processes loading one node, the second started `staggerMs` after the first. */
function twoLoads(staggerMs: number, ci = false): FaultCase {
  return {
    id: `load-two-processes-one-node-${staggerMs}ms`,
    title: `two orchestrator processes loading one node, started ${staggerMs} ms apart`,
    kind: 'load',
    ci,
    inject: async (context, node) => {
      const firstRun = runOrchestrator(context.job('load', node), FAULT_DEADLINE_MS);
      // The stagger is the fault's shape (how far apart two workers start), not a synchronization.
      if (staggerMs > 0) await new Promise((resolve) => setTimeout(resolve, staggerMs));
      const [first, second] = await Promise.all([firstRun, runOrchestrator(context.job('load', node), FAULT_DEADLINE_MS)]);
      const succeeded = [first, second].filter((outcome) => outcome.result?.ok).length;
      const reasons: string[] = [];
      // One may wait for the other or be refused, typed; both failing means they undid each other.
      if (succeeded === 0) reasons.push('neither of the two loads succeeded');
      // A load that reported ok must have left its node: the other's clean-up must not remove it.
      const state = (await runDomains(context.layout)).get(node.name);
      if (succeeded > 0 && state !== 'running') reasons.push(`a load reported ok but node ${node.name} is ${state ?? 'gone'}`);
      return { callerSaw: `A: ${callerSaw(first)} / B: ${callerSaw(second)}`, survived: true, hung: first.hung || second.hung, reasons, ...(succeeded > 0 ? { keepNode: true } : {}) };
    },
  };
}

const cases: FaultCase[] = [
  ...LOAD_STEPS.map((step) => killAt('load', step, step === 'powered-on' || step === 'disk-prepared')),
  ...LOAD_STEPS.map((step) => abortAt('load', step, step === 'node-defined')),
  ...LOAD_STEPS.map((step) => libvirtdRestartAt(step, step === 'node-defined')),
  sshdConnection('kill', 'disk-prepared'),
  sshdConnection('kill', 'powered-on', true),
  sshdConnection('stop', 'powered-on'),
  {
    id: 'load-host-sshd-stop-held-at-disk-prepared',
    title: `the sshd process serving the host connection SIGSTOPped at load step disk-prepared and held until the orchestrator exits (command bound ${HELD_COMMAND_TIMEOUT_MS / 1000} s)`,
    kind: 'load',
    inject: async (context, node) => {
      const reasons: string[] = [];
      let stoppedAt: number | undefined;
      let answeredAt: number | undefined;
      let served: number[] = [];
      let stopping: Promise<void> | undefined;
      const handle = startOrchestrator(context.job('load', node, { commandTimeoutMs: HELD_COMMAND_TIMEOUT_MS }), {
        deadlineMs: FAULT_DEADLINE_MS,
        onLine: (line, child) => {
          if (line.type === 'result') answeredAt = performance.now();
          if (stoppedAt !== undefined || !isStep(line, 'load', 'disk-prepared')) return;
          stoppedAt = performance.now();
          stopping = sshdServing(child.pid!, context.sshdPort).then(async (pids) => {
            served = pids;
            await signalAll(pids, 'STOP');
          });
        },
      });
      let outcome: OrchestratorOutcome;
      try {
        outcome = await handle.done;
      } finally {
        // The stop must have landed before the continue, or an sshd would stay stopped.
        await stopping;
        await signalAll(served, 'CONT');
      }
      if (stoppedAt === undefined || served.length === 0) reasons.push('fault not injected: no sshd process served the orchestrator at disk-prepared');
      const answeredAfterMs = answeredAt !== undefined && stoppedAt !== undefined ? answeredAt - stoppedAt : undefined;
      // The command's bound, then the clean-up's (120 s), with 15 s for the rest.
      if (answeredAfterMs === undefined || answeredAfterMs > HELD_COMMAND_TIMEOUT_MS + 135_000) reasons.push(`the caller's answer came ${answeredAfterMs === undefined ? 'never' : `${Math.round(answeredAfterMs / 1000)} s`} after the stop (bound: ${HELD_COMMAND_TIMEOUT_MS / 1000} s command + 120 s clean-up + 15 s)`);
      if (outcome.exitAfterResultMs !== undefined && outcome.exitAfterResultMs > 10_000) reasons.push(`the process exited ${Math.round(outcome.exitAfterResultMs / 1000)} s after its result (close() held it)`);
      return { ...survived(outcome, reasons), notes: answeredAfterMs === undefined ? [] : [`answered ${Math.round(answeredAfterMs / 1000)} s after the stop`] };
    },
  },
  {
    id: 'load-guest-ssh-lost-in-post-load',
    title: "the guest's sshd killed (from inside) as postLoad starts",
    kind: 'load',
    inject: async (context, node) => {
      const { outcome, fired } = await faulted(context.job('load', node), (line) => line.type === 'progress' && line.operation === 'postLoad', () => killGuestSshd(node.address!.port!, context.guestKeyPath));
      return survived(outcome, notFired(fired, 'a postLoad step'));
    },
  },
  {
    id: 'load-guest-frozen-virsh-suspend',
    title: 'the guest frozen (virsh suspend) at load step machine-booted',
    kind: 'load',
    inject: async (context, node) => {
      const { outcome, fired } = await faulted(context.job('load', node), (line) => isStep(line, 'load', 'machine-booted'), async () => {
        await local('virsh', ['-c', context.uri, 'suspend', node.name]);
      });
      return survived(outcome, notFired(fired, 'machine-booted'));
    },
  },
  {
    id: 'load-guest-frozen-sigstop-qemu',
    title: "the guest's QEMU SIGSTOPped at load step powered-on (boot bound 40 s)",
    kind: 'load',
    inject: async (context, node) => {
      const { outcome, fired } = await faulted(context.job('load', node, { bootTimeoutMs: 40_000 }), (line) => isStep(line, 'load', 'powered-on'), async () => {
        const pid = await qemuPidOf(node.name);
        if (pid) await signalAll([pid], 'STOP');
      });
      return survived(outcome, notFired(fired, 'powered-on'));
    },
    restore: async (_context, node) => {
      const pid = await qemuPidOf(node.name);
      if (pid) await signalAll([pid], 'CONT');
    },
  },
  twoLoads(0, true),
  twoLoads(100),
  {
    id: 'load-delete-image-during-load',
    title: 'deleteImage of the image, in another process, started when the load reports started',
    kind: 'load',
    ci: true,
    inject: async (context, node) => {
      let remove: Promise<OrchestratorOutcome> | undefined;
      const load = await startOrchestrator(context.job('load', node), {
        deadlineMs: FAULT_DEADLINE_MS,
        onLine: (line) => {
          if (!remove && isStep(line, 'load', 'started')) remove = runOrchestrator(context.job('deleteImage', undefined, { image: context.image }), FAULT_DEADLINE_MS);
        },
      }).done;
      if (!remove) return survived(load, notFired(false, 'started'));
      const removed = await remove;
      const deleted = removed.result?.ok === true;
      const reasons: string[] = [];
      const notes: string[] = [];
      if (deleted && load.result?.ok) reasons.push('the image was deleted under a node that reported ready on it');
      if (deleted && !load.result?.ok) {
        // The delete won before the load used the image: a legitimate order. The image goes back
        // so the next operation and the library check judge recovery, not the requested delete.
        await local('cp', ['--', `${context.layout.runDir}/pristine.qcow2`, `${context.layout.libraryDir}/${context.image}.qcow2`]);
        notes.push('the delete won before the load used the image; image put back for the next operation');
      }
      return { callerSaw: `load: ${callerSaw(load)} / deleteImage: ${callerSaw(removed)}`, survived: true, hung: load.hung || removed.hung, reasons, notes, ...(load.result?.ok ? { keepNode: true } : {}) };
    },
  },
  ...UNLOAD_STEPS.map((step) => killAt('unload', step, step === 'powered-off')),
  ...(['started', 'powered-off'] as const).map((step) => abortAt('unload', step)),
  ...CAPTURE_STEPS.map((step) => killAt('capture', step)),
  {
    id: 'capture-kill-during-copy-disk',
    title: 'SIGKILL of the orchestrator while the host runs qemu-img convert into the library',
    kind: 'capture',
    ci: true,
    inject: async (context, node) => {
      // Enough data that the copy takes a while: the kill must land while qemu-img runs.
      await fillGuestDisk(node.address!.port!, context.guestKeyPath, 96);
      let fired = false;
      let watching: Promise<void> | undefined;
      const handle = startOrchestrator(context.job('capture', node, { image: `${node.name}-v1` }), {
        deadlineMs: FAULT_DEADLINE_MS,
        onLine: (line, child) => {
          if (watching || !isStep(line, 'capture', 'powered-off')) return;
          watching = (async () => {
            const deadline = Date.now() + 60_000;
            let delay = 10;
            while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
              if ((await convertsInto(context.layout.libraryDir)).length > 0) {
                fired = true;
                child.kill('SIGKILL');
                return;
              }
              await new Promise((resolve) => setTimeout(resolve, delay));
              delay = Math.min(delay * 2, 100);
            }
          })();
        },
      });
      const outcome = await handle.done;
      await watching;
      return { callerSaw: callerSaw(outcome, 'killed during copy-disk'), survived: outcome.signal !== 'SIGKILL', hung: outcome.hung, reasons: notFired(fired, 'a running qemu-img convert') };
    },
  },
  ...CAPTURE_STEPS.map((step) => abortAt('capture', step)),
  {
    id: 'capture-library-fs-full',
    title: 'capture into a library on a full filesystem (24 MiB tmpfs, 96 MiB of guest data)',
    kind: 'capture',
    smallLibrary: true,
    inject: async (context, node) => {
      await fillGuestDisk(node.address!.port!, context.guestKeyPath, 96);
      const outcome = await runOrchestrator(context.job('capture', node, { image: `${node.name}-v1` }), FAULT_DEADLINE_MS);
      return survived(outcome, []);
    },
    // The fault cleared: the filesystem is given room, so the retried capture can fit (on the
    // 24 MiB it failed on, it would fail the same way again).
    restore: async (context) => growSmallFs(context.layout.libraryDir, 512),
  },
];

/** Layout of the full-filesystem row: its library on a small tmpfs (made by {@link prepareSmallLibrary}). */
export function smallLibraryDir(layout: FaultRunLayout): string {
  return join(layout.runDir, 'small-library');
}

/** Mounts the small library and copies the base image into it. */
export async function prepareSmallLibrary(layout: FaultRunLayout, image: string): Promise<void> {
  const dir = smallLibraryDir(layout);
  await mkdir(dir, { recursive: true });
  await mountSmallFs(dir, 24);
  const copied = await local('cp', ['--', join(layout.libraryDir, `${image}.qcow2`), join(dir, `${image}.qcow2`)]);
  if (copied.code !== 0) throw new Error(`copying the image into the small library failed: ${copied.stderr}`);
}

/** Unmounts the small library. */
export async function removeSmallLibrary(layout: FaultRunLayout): Promise<void> {
  await unmountSmallFs(smallLibraryDir(layout));
}

/**
 * The rows to run, in matrix order: all (`subset` full or absent) or the CI subset (one fast
 * row per kind of fault: kills before and after the disk exists, an abort, a daemon restart, a
 * lost host connection, two orchestrators, a delete during a load, a killed unload, a killed
 * copy), narrowed to ids containing `pattern`.
 */
export function selectCases(selection: FaultSelection = {}): FaultCase[] {
  return selectFaultCases(cases, selection);
}
