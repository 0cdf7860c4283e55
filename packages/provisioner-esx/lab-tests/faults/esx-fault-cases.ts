/**
 * The ESX rows of the fault matrix: each injects one real fault into an ESX provisioner
 * operation run by a separate orchestrator process (`../test-support/orchestrator-process.ts`) on a private
 * vSphere simulator — a clone task the simulator fails or holds (its `/provkit/clone-faults`
 * endpoint), a SIGKILL while the clone task runs on the endpoint, an abort, two orchestrators
 * on one VM name, a deleteImage during a load — and says what the caller saw. The matrix does
 * the rest for every row alike (`esx-fault-matrix.ts`).
 */
import type { VcsimLabState } from '@provkit/lab';
import type { EsxProvisioner } from '../../src/index.ts';
import type { Orchestrator, OrchestratorInput, OrchestratorLine } from '../test-support/orchestrators.ts';
import { releaseClones, setClonePlan } from '../test-support/simulator.ts';

/** What every row can use. */
export interface EsxFaultContext {
  /** The private simulator of this mode. */
  lab: VcsimLabState;
  /** The matrix's own provisioner (setup and inspection; never the faulted operation). */
  provisioner: EsxProvisioner;
  /** Starts an orchestrator process on the simulator. */
  start(input: OrchestratorInput): Orchestrator;
}

/** What a row's fault did, as the caller of the operation saw it. */
export interface EsxFaultResult {
  callerSaw: string;
  /** True when no orchestrator was killed: the operations' own clean-up must then leave nothing. */
  survived: boolean;
  /** What the row itself found wrong (beyond what every row checks). */
  reasons?: string[];
  notes?: string[];
  /** The faulted load succeeded all the same (its node is rightly on the endpoint) / the capture made its image. */
  keepNode?: boolean;
}

/** One row. */
export interface EsxFaultCase {
  id: string;
  title: string;
  /** The operation faulted: decides the setup (a loaded node for capture rows) and the next operations. */
  kind: 'load' | 'capture';
  /** In the fast CI subset. */
  ci?: boolean;
  inject(context: EsxFaultContext, node: string, image: string): Promise<EsxFaultResult>;
}

/** What an orchestrator's result line says, in one line. */
export function describeResult(line: OrchestratorLine): string {
  if (line['result'] === 'ok') return 'ok';
  const step = line['step'] ? ` at ${String(line['step'])}` : '';
  const cleanup = line['cleanupError'] ? `; cleanupError: ${String(line['cleanupError']).slice(0, 80)}` : '';
  return `${String(line['code'] ?? line['name'])}${step}: ${String(line['message']).slice(0, 110)}${cleanup}`;
}

const isEvent = (event: string) => (line: OrchestratorLine) => line['event'] === event;

/** The row's reason when `result` is not an OperationFailedError at `step`. */
function unlessFailedAt(result: OrchestratorLine, step: string, operation: string): string[] {
  return result['code'] === 'OPERATION_FAILED' && result['step'] === step ? [] : [`the ${operation} did not fail typed at ${step}`];
}

/** Runs `input` with its clone task ended by the simulator in `fault`; the operation must fail typed at `step`. */
async function cloneFailed(context: EsxFaultContext, input: OrchestratorInput, fault: 'fail' | 'fail-after-create', step: string): Promise<EsxFaultResult> {
  await setClonePlan(context.lab, { fault, count: 1 });
  const result = await context.start(input).result();
  return { callerSaw: describeResult(result), survived: true, reasons: unlessFailedAt(result, step, input.operation) };
}

/**
 * Runs `input`, aborted once its clone task runs (held by the simulator). The simulator does
 * not honour CancelTask: the held task ends only when released, as a real host's may run on
 * after it; the operation must await that end, undo what it made and fail typed at `step`.
 */
async function abortedMidClone(context: EsxFaultContext, input: OrchestratorInput, step: string): Promise<EsxFaultResult> {
  await setClonePlan(context.lab, { hold: true, count: 1 });
  const orchestrator = context.start({ ...input, abortOn: 'clone-started' });
  await orchestrator.waitFor(isEvent('cancel-task-answered'));
  await releaseClones(context.lab);
  const result = await orchestrator.result();
  return { callerSaw: describeResult(result), survived: true, reasons: unlessFailedAt(result, step, input.operation) };
}

/** A load whose clone the simulator fails with `fault`: typed failure, its own clean-up leaves nothing. */
function cloneFault(fault: 'fail' | 'fail-after-create', what: string, ci = false): EsxFaultCase {
  return {
    id: `clone-task-${fault}`,
    title: `the simulator ends the CloneVM_Task in InsufficientResourcesFault ${what}`,
    kind: 'load',
    ci,
    inject: (context, node) => cloneFailed(context, { operation: 'load', node }, fault, 'clone'),
  };
}

/**
 * Runs `input` in an orchestrator process with its clone held by the simulator, SIGKILLs the
 * process once the task runs, then lets the task end: it outlives its orchestrator, as on a
 * real host, and makes its VM after the kill.
 */
async function killedMidClone(context: EsxFaultContext, input: OrchestratorInput): Promise<EsxFaultResult> {
  await setClonePlan(context.lab, { hold: true, count: 1 });
  const orchestrator = context.start(input);
  await orchestrator.waitFor(isEvent('clone-started'));
  await orchestrator.kill();
  await releaseClones(context.lab);
  return { callerSaw: `killed (${String(await orchestrator.exited)}) while its clone task ran`, survived: false };
}

/** A load SIGKILLed while its clone task runs on the endpoint. */
const killMidClone: EsxFaultCase = {
  id: 'load-sigkill-mid-clone',
  title: 'the orchestrator SIGKILLed while its CloneVM_Task runs on the endpoint (held by the simulator), the clone then ends',
  kind: 'load',
  ci: true,
  inject: (context, node) => killedMidClone(context, { operation: 'load', node }),
};

/** A load in an orchestrator process, held at its SSH wait with its VM made and powered on. */
async function heldAtSshWait(context: EsxFaultContext, node: string): Promise<Orchestrator> {
  const load = context.start({ operation: 'load', node, gate: true });
  await load.waitFor(isEvent('waiting-for-go'));
  return load;
}

/** A load SIGKILLed with its VM made and powered on (held at its SSH wait). */
const killAtSshWait: EsxFaultCase = {
  id: 'load-sigkill-at-ssh-wait',
  title: 'the orchestrator SIGKILLed after the clone, with its VM powered on (held at its SSH wait)',
  kind: 'load',
  async inject(context, node) {
    const load = await heldAtSshWait(context, node);
    await load.kill();
    return { callerSaw: `killed (${String(await load.exited)}) at wait-for-ssh`, survived: false };
  },
};

/** A load aborted while its clone task runs: CancelTask, the task's end awaited, what it made destroyed. */
const abortMidClone: EsxFaultCase = {
  id: 'load-abort-mid-clone',
  title: 'the load aborted while its CloneVM_Task runs (held by the simulator until the CancelTask arrived)',
  kind: 'load',
  inject: (context, node) => abortedMidClone(context, { operation: 'load', node }, 'clone'),
};

/** Two loads of one name, the second started while the first is held with its VM made. */
const twoLoadsHeld: EsxFaultCase = {
  id: 'two-loads-one-name-held',
  title: 'a second orchestrator loads, then unloads, a name while the first one\'s load of it runs (held at its SSH wait)',
  kind: 'load',
  async inject(context, node) {
    const first = await heldAtSshWait(context, node);
    const second = await context.start({ operation: 'load', node }).result();
    const unload = await context.start({ operation: 'unload', node }).result();
    first.tell('go');
    const firstResult = await first.result();
    const reasons = [
      ...(second['code'] === 'CONFLICT' ? [] : ['the second load did not get CONFLICT']),
      ...(unload['code'] === 'CONFLICT' ? [] : ['the unload did not get CONFLICT']),
      ...(firstResult['result'] === 'ok' ? [] : ['the first load did not succeed']),
    ];
    return { callerSaw: `first: ${describeResult(firstResult)}; second load: ${describeResult(second)}; unload: ${describeResult(unload)}`, survived: true, reasons, keepNode: true };
  },
};

/** Two loads of one name started together, clones slowed so both run at once. */
const twoLoadsTogether: EsxFaultCase = {
  id: 'two-loads-one-name-together',
  title: 'two orchestrators load one name started together (the simulator runs each clone task 300 ms)',
  kind: 'load',
  async inject(context, node) {
    await setClonePlan(context.lab, { delayMs: 300 });
    const both = [context.start({ operation: 'load', node }), context.start({ operation: 'load', node })];
    const results = await Promise.all(both.map((orchestrator) => orchestrator.result()));
    await setClonePlan(context.lab, {});
    const reasons = [
      ...(results.some((result) => result['result'] === 'ok') ? [] : ['neither load succeeded']),
      ...results.filter((result) => result['result'] !== 'ok' && result['code'] !== 'CONFLICT' && result['code'] !== 'NODE_EXISTS').map((result) => `a load failed with neither CONFLICT nor NODE_EXISTS: ${describeResult(result)}`),
    ];
    return { callerSaw: results.map(describeResult).join('; '), survived: true, reasons, keepNode: true };
  },
};

/** deleteImage of an image in another process while a load of it runs its clone. */
const deleteDuringLoad: EsxFaultCase = {
  id: 'delete-image-during-load',
  title: 'deleteImage of an image in another orchestrator while a load of it runs its CloneVM_Task (held by the simulator)',
  kind: 'load',
  async inject(context, node) {
    // An image of this row's own (the matrix's library template must stay): a copy of the node's.
    const image = `${node}-del-v1`;
    const provisioner = context.provisioner;
    const base = `${node}-base`;
    await provisioner.load({ node: { name: base }, image: context.lab.image });
    await provisioner.capture({ node: { name: base }, image, skipPreCapture: true });
    await provisioner.unload({ node: { name: base } });
    await setClonePlan(context.lab, { hold: true, count: 1 });
    const load = context.start({ operation: 'load', node, image });
    await load.waitFor(isEvent('clone-started'));
    const deletion = await context.start({ operation: 'deleteImage', node, image }).result();
    await releaseClones(context.lab);
    const loaded = await load.result();
    const imageLeft = await provisioner.doesImageExist({ image });
    const notes: string[] = [];
    const reasons: string[] = [];
    if (loaded['result'] === 'ok' && !imageLeft) reasons.push('the load reported ready on an image that was deleted under it');
    if (loaded['result'] === 'ok' && deletion['result'] === 'ok') reasons.push('both the load and the delete succeeded');
    if (imageLeft) {
      // The delete was refused: the image is this row's and goes once its node is unloaded.
      notes.push('image kept by the refused delete');
      if (loaded['result'] === 'ok') await provisioner.unload({ node: { name: node } });
      await provisioner.deleteImage({ image });
    }
    return { callerSaw: `load: ${describeResult(loaded)}; deleteImage: ${describeResult(deletion)}`, survived: true, reasons, notes, keepNode: false };
  },
};

/** A capture SIGKILLed while its clone into the temporary template runs on the endpoint. */
const killCaptureMidClone: EsxFaultCase = {
  id: 'capture-sigkill-mid-clone',
  title: 'the capturing orchestrator SIGKILLed while its CloneVM_Task (the temporary copy) runs on the endpoint, the clone then ends',
  kind: 'capture',
  inject: (context, node, image) => killedMidClone(context, { operation: 'capture', node, image }),
};

/** A capture aborted while its clone runs. */
const abortCaptureMidClone: EsxFaultCase = {
  id: 'capture-abort-mid-clone',
  title: 'the capture aborted while its CloneVM_Task runs (held by the simulator until the CancelTask arrived)',
  kind: 'capture',
  inject: (context, node, image) => abortedMidClone(context, { operation: 'capture', node, image }, 'copy-to-template'),
};

/** A capture whose clone the simulator fails after making the temporary copy. */
const captureCloneFault: EsxFaultCase = {
  id: 'capture-clone-task-fail-after-create',
  title: 'the simulator ends the capture\'s CloneVM_Task in InsufficientResourcesFault after making the temporary copy',
  kind: 'capture',
  inject: (context, node, image) => cloneFailed(context, { operation: 'capture', node, image }, 'fail-after-create', 'copy-to-template'),
};

const cases: EsxFaultCase[] = [
  cloneFault('fail', 'with nothing made'),
  cloneFault('fail-after-create', 'after making the VM', true),
  killMidClone,
  killAtSshWait,
  abortMidClone,
  twoLoadsHeld,
  twoLoadsTogether,
  deleteDuringLoad,
  killCaptureMidClone,
  abortCaptureMidClone,
  captureCloneFault,
];

/** The rows, in matrix order (ids without the `esx-<mode>-` prefix the matrix gives them). */
export function esxFaultCases(): readonly EsxFaultCase[] {
  return cases;
}
