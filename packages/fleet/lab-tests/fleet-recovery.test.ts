/**
 * The fleet when things go wrong, with real processes: a worker SIGKILLed during a load, a
 * load cancelled while it runs, a worker shut down mid-load, and Redis restarted (SIGKILL)
 * during a batch. The host is a private vSphere simulator whose guests take seconds to report
 * Tools running, so a load has a window between `powered-on` and `machine-booted`.
 */
import { NodeNotFoundError, ProvkitError } from '@provkit/core';
import { restartLabRedis, type RedisLabState } from '@provkit/lab';
import type { EsxProvisioner } from '@provkit/provisioner-esx';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, FleetRemoteError, type FleetJobHandle } from '../src/index.ts';
import {
  inspector,
  labRedis,
  readOperationsLog,
  startPrivateSimulator,
  startWorker,
  stopWorker,
  unique,
  vmCount,
  writeFleetConfig,
  type FleetLabConfig,
  type PrivateSimulator,
  type StartWorkerOptions,
  type WorkerProcess,
} from './test-support/fleet-lab.ts';

let redis: RedisLabState;
let simulator: PrivateSimulator;
let provisioner: EsxProvisioner;
let client: FleetClient;
let vmsBefore: number;
const started: WorkerProcess[] = [];
const configs: FleetLabConfig[] = [];

beforeAll(async () => {
  redis = await labRedis();
  simulator = await startPrivateSimulator({ toolsDelayMs: 5000 });
  provisioner = inspector(simulator.state);
  client = new FleetClient({ connection: redis.url });
  vmsBefore = await vmCount(provisioner);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map(stopWorker));
  for (const config of configs.splice(0)) config.remove();
});

afterAll(async () => {
  await client?.close();
  await provisioner?.close();
  await simulator?.stop();
});

/** A fresh host (queue) on the private simulator and its configuration. */
function freshHost(): { host: string; config: FleetLabConfig } {
  const host = unique('rec');
  const config = writeFleetConfig(redis, [{ name: host, sim: simulator.state }], { concurrency: 4 });
  configs.push(config);
  return { host, config };
}

async function worker(config: FleetLabConfig, options: StartWorkerOptions): Promise<WorkerProcess> {
  const process = await startWorker(config, options);
  started.push(process);
  return process;
}

/** Resolves when the job published `step` (from whichever worker runs it), bounded. */
function reached(handle: FleetJobHandle, step: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error(`job ${handle.id} did not reach ${step} within ${timeoutMs} ms`))), timeoutMs);
    const stop = handle.onProgress(({ event }) => {
      if (event.step === step) (clearTimeout(timer), stop(), resolve());
    });
  });
}

describe('fleet recovery on a slow ESX simulator', () => {
  it('a worker SIGKILLed during a load: another worker takes the stalled job over, the node ends loaded once, the client gets one result', async () => {
    const { host, config } = freshHost();
    const first = await worker(config, { name: `${host}-doomed` });
    const node = unique('kill');
    const handle = await client.submit({ host, operation: 'load', node: { name: node }, image: simulator.state.image });
    // After the VM is defined and powered on, before its guest answers: the worst moment.
    await reached(handle, 'powered-on');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const second = await worker(config, { name: `${host}-heir` });

    const result = await handle.result({ timeoutMs: 120_000 });
    expect(result).toMatchObject({ node, image: simulator.state.image });
    // Another client following the same job sees the same single outcome.
    const observer = new FleetClient({ connection: redis.url });
    try {
      expect(await observer.handle<'load'>(host, handle.id).result({ timeoutMs: 10_000 })).toEqual(result);
    } finally {
      await observer.close();
    }
    const history = await client.progressSoFar(host, handle.id);
    expect(history.map((entry) => entry.event.step)).toContain('fleet-recovery');
    const runs = readOperationsLog(config.operationsLog).filter((entry) => entry.jobId === handle.id);
    expect(runs.filter((entry) => entry.phase === 'start').map((entry) => entry.worker)).toEqual([first.name, second.name]);
    expect(runs.filter((entry) => entry.phase === 'end').map((entry) => entry.worker)).toEqual([second.name]);
    // Nothing orphaned: exactly one VM more than before, the node, running its image.
    expect(await vmCount(provisioner)).toBe(vmsBefore + 1);
    expect(await provisioner.getCurrentImage({ node: { name: node } })).toBe(simulator.state.image);
    await provisioner.unload({ node: { name: node } });
    expect(await vmCount(provisioner)).toBe(vmsBefore);
  });

  it('cancelling a running load aborts it in the worker running it, which rolls back: the node is absent', async () => {
    const { host, config } = freshHost();
    await worker(config, { name: `${host}-w` });
    const node = unique('cancel');
    const handle = await client.submit({ host, operation: 'load', node: { name: node }, image: simulator.state.image });
    await reached(handle, 'powered-on');
    await handle.cancel('test cancels');
    const error = await handle.result({ timeoutMs: 60_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FleetRemoteError);
    expect(ProvkitError.reasonCode(error)).toBe('ABORTED');
    expect(await handle.state()).toBe('failed');
    await expect(provisioner.getCurrentImage({ node: { name: node } })).rejects.toBeInstanceOf(NodeNotFoundError);
    expect(await vmCount(provisioner)).toBe(vmsBefore);
    // A cancelled job is not run again by anyone.
    expect(readOperationsLog(config.operationsLog).filter((entry) => entry.jobId === handle.id && entry.phase === 'start')).toHaveLength(1);
  });

  it('a worker shut down mid-load past its bound aborts and rolls back, and another worker finishes the job', async () => {
    const { host, config } = freshHost();
    const leaving = await worker(config, { name: `${host}-leaving`, shutdownTimeoutMs: 300 });
    const node = unique('drain');
    const handle = await client.submit({ host, operation: 'load', node: { name: node }, image: simulator.state.image });
    await reached(handle, 'powered-on');
    const staying = await worker(config, { name: `${host}-staying` });
    leaving.child.kill('SIGTERM');
    expect(await leaving.exited).toBe(0);
    expect(leaving.lines.some((line) => line.kind === 'requeued' && line.jobId === handle.id)).toBe(true);
    expect(await handle.result({ timeoutMs: 120_000 })).toMatchObject({ node });
    const runs = readOperationsLog(config.operationsLog).filter((entry) => entry.jobId === handle.id);
    expect(runs.filter((entry) => entry.phase === 'end').map((entry) => entry.worker)).toEqual([leaving.name, staying.name]);
    expect(await vmCount(provisioner)).toBe(vmsBefore + 1);
    await provisioner.unload({ node: { name: node } });
  });

  it('Redis SIGKILLed and restarted during a batch: every job completes exactly once, workers and clients reconnect', async () => {
    const { host, config } = freshHost();
    // BullMQ's job lock and the node lease outlive the restart (their TTLs keep running in
    // Redis while it is away), so no job is taken for stalled and no lease is lost meanwhile;
    // a shorter lease would abort the operation and run it again, once, by design.
    for (const name of ['a', 'b']) await worker(config, { name: `${host}-${name}`, lockDurationMs: 20_000, stalledIntervalMs: 5_000, nodeLeaseMs: 20_000 });
    const nodes = Array.from({ length: 6 }, () => unique('batch'));
    const handles: FleetJobHandle<'load'>[] = [];
    for (const node of nodes.slice(0, 4)) handles.push(await client.submit({ host, operation: 'load', node: { name: node }, image: simulator.state.image }));
    await reached(handles[0]!, 'powered-on');
    const restarted = restartLabRedis({ hard: true });
    // Submitted while Redis goes down and comes back: the client waits and reconnects.
    for (const node of nodes.slice(4)) handles.push(await client.submit({ host, operation: 'load', node: { name: node }, image: simulator.state.image }));
    await restarted;
    const results = await Promise.all(handles.map((handle) => handle.result({ timeoutMs: 180_000 })));
    expect(results.map((result) => result.node).sort()).toEqual([...nodes].sort());
    const log = readOperationsLog(config.operationsLog);
    for (const handle of handles) {
      expect(log.filter((entry) => entry.jobId === handle.id && entry.phase === 'start')).toHaveLength(1);
      expect(log.filter((entry) => entry.jobId === handle.id && entry.phase === 'end')).toHaveLength(1);
    }
    expect(await vmCount(provisioner)).toBe(vmsBefore + nodes.length);
    for (const node of nodes) await provisioner.unload({ node: { name: node } });
    expect(await vmCount(provisioner)).toBe(vmsBefore);
  });
});
