/**
 * One orchestrator as its own process, for the cross-process tests: it runs one provisioner
 * operation on a lab simulator and prints what happens as JSON lines on stdout, so the test
 * synchronises on its output (and may SIGKILL it at any of those points):
 * `{"event":"clone-started"}` once CloneVM_Task answered (the task runs on the endpoint),
 * `{"step":…}` per progress step, `{"event":"waiting-for-go"}` when held (see `gate`), and
 * `{"result":"ok"}` or `{"result":"error","code":…,"name":…,"message":…}` at the end.
 *
 * Input (environment `PROVKIT_ESX_ORCHESTRATOR`, JSON): `lab` (the simulator's state), `operation`
 * (`load` or `unload`), `node`, `image`, `leaseMs`, and `gate`: the load's SSH wait then waits
 * for a line on stdin (`go` goes on, `fail` fails its post-load), so the test holds the load
 * with its VM made. The gate stands in for an OS module (this is no guest test).
 */
import { createInterface } from 'node:readline';
import { ProvkitError, type OsModuleV1 } from '@provkit/core';
import type { VcsimLabState } from '@provkit/lab';
import { provisionerFor } from './simulator-support.ts';

interface Input {
  lab: VcsimLabState;
  operation: 'load' | 'unload';
  node: string;
  image?: string;
  leaseMs?: number;
  gate?: boolean;
}

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
provisioner.events.on('command', (event) => {
  if (event.command.startsWith('CloneVM_Task ') && event.exitCode === 0) print({ event: 'clone-started' });
});
try {
  if (input.operation === 'load') {
    await provisioner.load({
      node: { name: input.node, ...(input.gate ? { address: { host: '127.0.0.1', port: 22 } } : {}) },
      image: input.image ?? input.lab.image,
      onProgress: (progress) => print({ step: progress.step }),
    });
  } else {
    await provisioner.unload({ node: { name: input.node } });
  }
  print({ result: 'ok' });
} catch (error) {
  print({ result: 'error', code: ProvkitError.isInstance(error) ? error.code : undefined, name: error instanceof Error ? error.name : undefined, message: error instanceof Error ? error.message : String(error) });
} finally {
  lines.close();
  await provisioner.close();
}
