/**
 * The ESX rows of `npm run faults` (ids `esx-vcenter-…` and `esx-esxi-…`): every row of
 * {@link esxFaultCases} on a private vSphere simulator of each model (vCenter with an images
 * folder, standalone ESXi), started for the run so its clone faults reach no one else; no KVM
 * lab service is touched. For every row: the inventory and the library template are read
 * first; a capture row loads its node; the fault is injected into an orchestrator process; what
 * is left is read twice — the provisioner's `leftovers()` and, independently, a container view
 * of every VM, template and folder on the endpoint compared with before ("left after fault");
 * the NEXT operations run from fresh processes (a load of the name then its unload; for a
 * capture row the capture retried as it is, the image deleted, the node unloaded); what is
 * left is read again ("left after next"); the template's fingerprint (snapshots, files, disks,
 * extraConfig) is compared. A row is green when the next operations all succeed, nothing is
 * left after them, the template is intact, the row's own checks hold, and — when no process
 * was killed — the faulted operation's own clean-up left nothing.
 *
 * Run alone: `node --conditions=provkit-source esx-fault-matrix.ts [--subset ci] [--case <pattern>] [--json]`.
 */
import type { FaultMatrix, FaultRow, FaultSelection } from '@provkit/lab';
import { faultRow, runFaultMatrices, runFaultRows, selectFaultCases } from '@provkit/lab';
import type { EsxProvisioner } from '../../src/index.ts';
import { startOrchestrator } from '../test-support/orchestrators.ts';
import { provisionerFor, releaseClones, setClonePlan, startPrivateSimulator, unique } from '../test-support/simulator.ts';
import { describeResult, esxFaultCases, type EsxFaultCase, type EsxFaultContext } from './esx-fault-cases.ts';
import { endpointInventory, inventoryChange, sweepEndpoint, templateFingerprint } from './esx-fault-endpoint.ts';

/** The simulator models, each with the word its row ids carry. */
const MODES = [
  { mode: 'vpx', word: 'vcenter' },
  { mode: 'esx', word: 'esxi' },
] as const;

type Mode = (typeof MODES)[number];

/** A case in one model: only the vCenter model's rows are in the CI subset (one model is enough there). */
interface ModeCase extends EsxFaultCase {
  mode: Mode;
  caseId: string;
}

function allRows(): ModeCase[] {
  return MODES.flatMap((mode) => esxFaultCases().map((fault) => ({ ...fault, mode, caseId: fault.id, id: `esx-${mode.word}-${fault.id}`, ci: fault.ci === true && mode.mode === 'vpx' })));
}

/** The rows a selection picks. */
export function selectEsxRows(selection: FaultSelection = {}): ModeCase[] {
  return selectFaultCases(allRows(), selection);
}

/** Everything provkit left on the endpoint, read twice: the inventory against `baseline`, and `leftovers()`. */
async function leftOnEndpoint(provisioner: EsxProvisioner, baseline: readonly string[], keep: readonly string[] = []): Promise<string[]> {
  const change = inventoryChange(baseline, await endpointInventory(provisioner)).filter((entry) => !keep.includes(entry));
  const leftovers = (await provisioner.leftovers()).map((leftover) => `leftovers(): ${leftover.kind} ${leftover.name} (operation ${leftover.operation ?? 'unrecorded'} of ${leftover.owner ?? 'unknown'})`);
  return [...change, ...leftovers];
}

async function runRow(fault: ModeCase, context: EsxFaultContext, templatePath: string): Promise<FaultRow> {
  const started = performance.now();
  const { provisioner, lab } = context;
  const reasons: string[] = [];
  const notes: string[] = [];
  const node = unique(fault.caseId.slice(0, 16));
  const image = `${node}-cap-v1`;
  const before = await endpointInventory(provisioner);
  const fingerprint = await templateFingerprint(provisioner, templatePath);
  let saw = 'not run';
  let leftAfterFault: string[] = [];
  let nextOperation = '';
  let nextOk = false;
  let leftAfterNext: string[] = [];
  let intact = false;
  let libraryDetail = 'not checked';
  try {
    if (fault.kind === 'capture') await provisioner.load({ node: { name: node }, image: lab.image });
    const setup = await endpointInventory(provisioner);
    const result = await fault.inject(context, node, image);
    saw = result.callerSaw;
    reasons.push(...(result.reasons ?? []));
    notes.push(...(result.notes ?? []));
    leftAfterFault = await leftOnEndpoint(provisioner, setup);
    // What a surviving operation rightly made: its node (a load), its image (a capture).
    const made = result.keepNode ? [fault.kind === 'load' ? `+ vm ${node}` : `+ template ${image}`] : [];
    if (result.survived && (await leftOnEndpoint(provisioner, setup, made)).length > 0) reasons.push('the operation survived the fault, yet its own clean-up left something');

    const next: Array<{ label: string; run: () => ReturnType<ReturnType<EsxFaultContext['start']>['result']> }> =
      fault.kind === 'load'
        ? [
            { label: 'load', run: () => context.start({ operation: 'load', node }).result() },
            { label: 'unload', run: () => context.start({ operation: 'unload', node }).result() },
          ]
        : [
            // A capture the fault did not stop has its image already: the retry is then not needed.
            ...(result.keepNode ? [] : [{ label: 'capture', run: () => context.start({ operation: 'capture', node, image }).result() }]),
            { label: 'deleteImage', run: () => context.start({ operation: 'deleteImage', node, image }).result() },
            { label: 'unload', run: () => context.start({ operation: 'unload', node }).result() },
          ];
    const seen: string[] = [];
    nextOk = true;
    for (const step of next) {
      const outcome = await step.run();
      const ok = outcome['result'] === 'ok';
      seen.push(`${step.label} ${ok ? 'ok' : `FAILED (${describeResult(outcome)})`}`);
      if (!ok) nextOk = false;
    }
    nextOperation = seen.join(', ');
    if (!nextOk) reasons.push('a next operation failed');
    leftAfterNext = await leftOnEndpoint(provisioner, before);
    if (leftAfterNext.length > 0) reasons.push('something was left after the next operations');
    const now = await templateFingerprint(provisioner, templatePath);
    intact = now === fingerprint;
    libraryDetail = intact ? `template ${lab.image}: same snapshots, files, disks and extraConfig` : `template ${lab.image} changed: ${now}`;
    if (!intact) reasons.push('the template is not intact');
  } catch (error) {
    reasons.push(`row error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await setClonePlan(lab, {});
    await releaseClones(lab);
    // The next row starts from the same inventory, whatever this one left.
    const swept = await sweepEndpoint(provisioner, before);
    if (swept.length > 0) notes.push(`swept after the row: ${swept.join(', ')}`);
  }
  return faultRow({ provisioner: 'esx', id: fault.id, title: fault.title, callerSaw: saw, leftAfterFault, nextOperation, nextOk, leftAfterNext, libraryIntact: intact, libraryDetail, reasons, notes }, started);
}

async function runEsxRows(selection: FaultSelection, options: { log: (line: string) => void }): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  for (const { mode } of MODES) {
    const cases = selectEsxRows(selection).filter((fault) => fault.mode.mode === mode);
    if (cases.length === 0) continue;
    const simulator = await startPrivateSimulator(mode);
    const provisioner = provisionerFor(simulator.state);
    const lab = simulator.state;
    const templatePath = `${lab.datacenter.slice(1)}/vm/${lab.imagesFolder ? `${lab.imagesFolder}/` : ''}${lab.image}`;
    const context: EsxFaultContext = { lab, provisioner, start: (input) => startOrchestrator(lab, input) };
    try {
      rows.push(...(await runFaultRows(cases, (fault) => runRow(fault, context, templatePath), options.log)));
    } finally {
      await provisioner.close();
      await simulator.stop();
    }
  }
  return rows;
}

/** The ESX provisioner's matrix (see the top of this file); `npm run faults` runs it after the KVM rows. */
export const esxFaultMatrix: FaultMatrix = {
  provisioner: 'esx',
  select: selectEsxRows,
  run: runEsxRows,
};

if (import.meta.main) await runFaultMatrices([esxFaultMatrix], process.argv.slice(2));
