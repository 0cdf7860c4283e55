/**
 * The KVM rows of `npm run faults`: the fault matrix on the real lab. For every row of
 * {@link faultCases}: the node is loaded first when the row faults an unload or a capture; the
 * fault is injected into an orchestrator process; the host is inspected ("left after fault");
 * the NEXT operations run from fresh processes (a load over the node then its unload; an
 * unload; a capture retried as it is, then the image deleted and the node unloaded) —
 * recovering an interrupted operation is their job; the host is inspected again ("left after
 * next"); the library image is checked (sha256 and `qemu-img check`). A row is green when the
 * next operations all succeed, nothing is left after them, the library is intact, nothing hung,
 * and — when no process was killed — the faulted operation's own clean-up left nothing.
 *
 * Options (see `@provkit/lab`'s `runFaultMatrices`, which also runs the ESX rows after these):
 * `--subset ci` (the fast representative rows), `--case <pattern>` (rows whose id contains it),
 * `--json` (rows as JSON on stdout). Exits 1 when any row is red.
 *
 * It restarts libvirtd, stops sshd processes and mounts a small filesystem: run it only while
 * holding the lab lock: `flock /tmp/provkit-labtests.lock npm run faults`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { NodeSpec } from '@provkit/core';
import { ensureLabService, faultRow, freeLoopbackPort, runFaultMatrices, runFaultRows, type FaultMatrix, type FaultRow, type FaultSelection, type KvmGuestLabState, type LibvirtLabState, type SshdLabState } from '@provkit/lab';
import { prepareSmallLibrary, removeSmallLibrary, selectCases, smallLibraryDir, type FaultCase, type FaultContext } from './fault-cases.ts';
import { leftOnHost, libraryChecksum, libraryIntact, local, sweep, type FaultRunLayout } from './fault-host.ts';
import type { OrchestratorJob } from './fault-orchestrator.ts';
import { callerSaw, runOrchestrator } from './orchestrator-process.ts';

const NEXT_DEADLINE_MS = 300_000;

async function runRow(fault: FaultCase, base: FaultContext, newNode: (label: string) => Promise<NodeSpec>): Promise<FaultRow> {
  const started = performance.now();
  const notes: string[] = [];
  const reasons: string[] = [];
  const layout: FaultRunLayout = fault.smallLibrary ? { ...base.layout, libraryDir: smallLibraryDir(base.layout) } : base.layout;
  const context: FaultContext = { ...base, layout, job: (operation, node, extra) => base.job(operation, node, { libraryDir: layout.libraryDir, ...extra }) };
  const node = await newNode(fault.id.replace(/[^a-z0-9-]/g, '').slice(0, 24));
  const checksum = await libraryChecksum(base.layout, base.image);
  if (fault.smallLibrary) await prepareSmallLibrary(base.layout, base.image);
  let saw = 'not run';
  let leftAfterFault: string[] = [];
  let nextOperation = '';
  let nextOk = false;
  let leftAfterNext: string[] = [];
  let intact = { intact: false, detail: 'not checked' };
  try {
    if (fault.kind !== 'load') {
      const setup = await runOrchestrator(context.job('load', node), NEXT_DEADLINE_MS);
      if (!setup.result?.ok) throw new Error(`setup load failed: ${callerSaw(setup)}`);
    }
    const result = await fault.inject(context, node);
    saw = result.callerSaw;
    notes.push(...(result.notes ?? []));
    reasons.push(...(result.reasons ?? []));
    if (result.hung) reasons.push('the faulted operation hung');
    const image = `${node.name}-v1`;
    // A capture row's node is the caller's and stays; an unload stopped part-way is finished by
    // the next unload (judged after it); everything else a surviving operation made must go.
    leftAfterFault = await leftOnHost(layout, { nodes: [node.name] });
    const unexpected = fault.kind !== 'load' || result.keepNode ? await leftOnHost(layout, { nodes: [node.name], keep: [node.name], ...(fault.kind === 'capture' && result.keepNode ? { keepLibrary: [`${image}.qcow2`] } : {}) }) : leftAfterFault;
    if (result.survived && unexpected.length > 0) reasons.push('the operation survived the fault, yet its own clean-up left something');
    await fault.restore?.(context, node);

    const next: Array<{ label: string; job: OrchestratorJob }> =
      fault.kind === 'load'
        ? [
            { label: 'load', job: context.job('load', node) },
            { label: 'unload', job: context.job('unload', node) },
          ]
        : fault.kind === 'unload'
          ? [{ label: 'unload', job: context.job('unload', node) }]
          : [
              // A capture the fault did not stop has its image already: the retry is then not needed.
              ...(result.keepNode ? [] : [{ label: 'capture', job: context.job('capture', node, { image }) }]),
              { label: 'deleteImage', job: context.job('deleteImage', undefined, { image }) },
              { label: 'unload', job: context.job('unload', node) },
            ];
    const seen: string[] = [];
    nextOk = true;
    for (const step of next) {
      const outcome = await runOrchestrator(step.job, NEXT_DEADLINE_MS);
      const ok = outcome.result?.ok === true && !outcome.hung;
      seen.push(`${step.label} ${ok ? 'ok' : `FAILED (${callerSaw(outcome)})`}`);
      if (!ok) nextOk = false;
    }
    nextOperation = seen.join(', ');
    if (!nextOk) reasons.push('a next operation failed');
    leftAfterNext = await leftOnHost(layout, { nodes: [node.name] });
    if (leftAfterNext.length > 0) reasons.push('something was left after the next operations');
    intact = await libraryIntact(layout, base.image, checksum);
    if (!intact.intact) reasons.push('the library is not intact');
  } catch (error) {
    reasons.push(`row error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await fault.restore?.(context, node).catch(() => undefined);
    await sweep(layout);
    if (fault.smallLibrary) {
      await removeSmallLibrary(base.layout);
      await rm(smallLibraryDir(base.layout), { recursive: true, force: true });
    }
    // The base library too: a row that deleted the image breaks the next rows otherwise.
    if (!(await libraryIntact(base.layout, base.image, checksum)).intact) await local('cp', ['--', `${base.layout.runDir}/pristine.qcow2`, `${base.layout.libraryDir}/${base.image}.qcow2`]);
  }
  return faultRow(
    { provisioner: 'kvm', id: fault.id, title: fault.title, callerSaw: saw, leftAfterFault, nextOperation, nextOk, leftAfterNext, libraryIntact: intact.intact, libraryDetail: intact.detail, reasons, notes },
    started,
  );
}

/** The KVM provisioner's matrix (see the top of this file); `npm run faults` runs it first. */
export const kvmFaultMatrix: FaultMatrix = {
  provisioner: 'kvm',
  select: selectCases,
  run: runKvmRows,
};

async function runKvmRows(selection: FaultSelection, options: { log: (line: string) => void }): Promise<FaultRow[]> {
  const cases = selectCases(selection);
  const sshd = await ensureLabService<SshdLabState>('sshd');
  const libvirt = await ensureLabService<LibvirtLabState>('libvirt');
  const guest = await ensureLabService<KvmGuestLabState>('kvm-guest');
  const prefix = `${libvirt.domainPrefix}f${randomBytes(2).toString('hex')}`;
  const runDir = `${libvirt.imagesDir}/provkit-${prefix}`;
  const layout: FaultRunLayout = { uri: libvirt.uri, prefix, runDir, libraryDir: `${runDir}/library`, nodeDiskDir: `${runDir}/nodes`, libraryFiles: [`${guest.imageName}.qcow2`] };
  await mkdir(layout.libraryDir, { recursive: true });
  await mkdir(layout.nodeDiskDir, { recursive: true });
  await local('cp', ['--', guest.imagePath, `${layout.libraryDir}/${guest.imageName}.qcow2`]);
  await local('cp', ['--', guest.imagePath, `${runDir}/pristine.qcow2`]);
  let counter = 0;
  const context: FaultContext = {
    layout,
    uri: libvirt.uri,
    image: guest.imageName,
    sshdPort: sshd.port,
    guestKeyPath: guest.privateKeyPath,
    job: (operation, node, extra) => ({ operation, ...(node ? { node } : {}), image: guest.imageName, libraryDir: layout.libraryDir, nodeDiskDir: layout.nodeDiskDir, ...extra }),
  };
  const newNode = async (label: string): Promise<NodeSpec> => ({ name: `${prefix}-${++counter}-${label}`, address: { host: '127.0.0.1', port: await freeLoopbackPort() } });
  try {
    return await runFaultRows(cases, (fault) => runRow(fault, context, newNode), options.log);
  } finally {
    await sweep(layout);
    await rm(runDir, { recursive: true, force: true });
    // The services other engineers share are left up, whatever a row did to them.
    await ensureLabService('libvirt');
    await ensureLabService('sshd');
  }
}

// Run alone (the CI subset's test does): `node --conditions=provkit-source fault-matrix.ts [--subset ci] [--json]`.
if (import.meta.main) await runFaultMatrices([kvmFaultMatrix], process.argv.slice(2));
