/**
 * One orchestrator as its own process, for the cross-process tests and the fault matrix: it
 * runs one provisioner operation on a lab simulator and prints what happens as JSON lines on
 * stdout, so the test synchronises on its output (and may SIGKILL it at any of those points):
 * `{"event":"clone-started"}` once CloneVM_Task answered (the task runs on the endpoint),
 * `{"event":"cancel-task-answered"}` once a CancelTask was answered (or faulted), `{"step":…}` per progress step,
 * `{"event":"waiting-for-go"}` when held (see `gate`), and `{"result":"ok"}` or
 * `{"result":"error","code":…,"name":…,"step":…,"message":…,"cleanupError":…}` at the end.
 *
 * Input (environment `PROVKIT_ESX_ORCHESTRATOR`, JSON): `lab` (the simulator's state) and an
 * {@link OrchestratorInput}: `operation` (`load`, `unload`, `capture` — an ungeneralized copy —
 * or `deleteImage`), `node`, `image`, `leaseMs`, `abortOn`, and `gate`: the load's SSH wait then
 * waits for a line on stdin (`go` goes on, `fail` fails its post-load), so the test holds the
 * load with its VM made. The gate stands in for an OS module (this is no guest test).
 */
import { createInterface } from 'node:readline';
import { OperationFailedError, ProvkitError, type OsModuleV1 } from '@provkit/core';
import type { VcsimLabState } from '@provkit/lab';
import type { OrchestratorInput } from './orchestrators.ts';
import { provisionerFor } from './simulator.ts';

type Input = OrchestratorInput & { lab: VcsimLabState };

const input = JSON.parse(process.env['PROVKIT_ESX_ORCHESTRATOR'] ?? '{}') as Input;
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
let word = 'go';
const gate = {
  specificationVersion: 'v1',
  async waitForResponse() {
    print({ event: 'waiting-for-go' });
    word = (await nextLine()).trim();
  },
  async postLoad() {
    if (word === 'fail') throw new Error('post-load failed (told so by the test)');
  },
  async preCapture() {
    throw new Error('no capture here');
  },
} as unknown as OsModuleV1;

const provisioner = provisionerFor(input.lab, { ...(input.leaseMs ? { leaseMs: input.leaseMs } : {}), ...(input.gate ? { osModule: gate } : {}) });
const controller = new AbortController();
provisioner.events.on('command', (event) => {
  if (event.command.startsWith('CloneVM_Task ') && event.exitCode === 0) {
    print({ event: 'clone-started' });
    if (input.abortOn === 'clone-started') controller.abort(new Error('aborted by the test once the clone started'));
  }
  // Answered, or faulted (a task that cannot be cancelled, as the simulator's): either way the
  // operation now awaits the task's end.
  if (event.command.startsWith('CancelTask ')) print({ event: 'cancel-task-answered' });
});
const signal = controller.signal;
const onProgress = (progress: { step: string }) => print({ step: progress.step });
try {
  if (input.operation === 'load') {
    await provisioner.load({
      node: { name: input.node, ...(input.gate ? { address: { host: '127.0.0.1', port: 22 } } : {}) },
      image: input.image ?? input.lab.image,
      onProgress,
      signal,
    });
  } else if (input.operation === 'unload') {
    await provisioner.unload({ node: { name: input.node }, signal });
  } else if (input.operation === 'capture') {
    await provisioner.capture({ node: { name: input.node }, image: input.image!, skipPreCapture: true, onProgress, signal });
  } else {
    await provisioner.deleteImage({ image: input.image!, signal });
  }
  print({ result: 'ok' });
} catch (error) {
  const failed = error instanceof OperationFailedError ? error : undefined;
  print({
    result: 'error',
    code: ProvkitError.isInstance(error) ? error.code : undefined,
    name: error instanceof Error ? error.name : undefined,
    ...(failed ? { step: failed.step } : {}),
    message: error instanceof Error ? error.message : String(error),
    ...(failed?.cleanupError !== undefined ? { cleanupError: failed.cleanupError instanceof Error ? failed.cleanupError.message : String(failed.cleanupError) } : {}),
  });
} finally {
  lines.close();
  await provisioner.close();
}
