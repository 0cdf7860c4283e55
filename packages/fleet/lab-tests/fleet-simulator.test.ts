/**
 * The fleet with real processes: the lab's Redis, `provkit worker` child processes, and the
 * lab's vSphere simulator (`vcsim-esx`) as the host.
 */
import { ConflictError, NodeNotFoundError, ProvkitError } from '@provkit/core';
import { ensureLabService, type RedisLabState, type VcsimLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, FleetRemoteError, type FleetJobHandle, type FleetOperation } from '../src/index.ts';
import { inspector, labRedis, overlaps, readOperationsLog, startWorker, stopWorker, unique, writeFleetConfig, type FleetLabConfig, type WorkerProcess } from './test-support/fleet-lab.ts';

let redis: RedisLabState;
let sim: VcsimLabState;
let config: FleetLabConfig;
let host: string;
let client: FleetClient;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await labRedis();
  sim = await ensureLabService<VcsimLabState>('vcsim-esx');
  host = unique('sim');
  config = writeFleetConfig(redis, [{ name: host, sim }], { concurrency: 4 });
  client = new FleetClient({ connection: redis.url });
  for (const name of ['w1', 'w2', 'w3']) workers.push(await startWorker(config, { name: `${host}-${name}` }));
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await client?.close();
  config?.remove();
});

describe('fleet on the ESX simulator with 3 worker processes', () => {
  it('runs 20 operations over 5 nodes submitted at once with no two operations on one node overlapping', async () => {
    const nodes = Array.from({ length: 5 }, () => unique('fleet'));
    const plan: [FleetOperation, string][] = nodes.flatMap((node) => [
      ['load', node],
      ['powerStatus', node],
      ['getCurrentImage', node],
      ['unload', node],
    ]);
    const handles = await Promise.all(
      plan.map(([operation, node]) => client.submit({ host, operation, node: { name: node }, ...(operation === 'load' ? { image: sim.image } : {}) }) as Promise<FleetJobHandle>),
    );
    const outcomes = await Promise.all(handles.map((handle) => handle.result({ timeoutMs: 240_000 }).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))));
    // Each job has one outcome: a result, or a provkit error rebuilt from the worker (an
    // operation that ran before its node's load finds no node; that is a typed answer too).
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        expect(outcome.error).toBeInstanceOf(FleetRemoteError);
        expect(['NODE_NOT_FOUND', 'NODE_EXISTS']).toContain(ProvkitError.reasonCode(outcome.error));
      }
    }
    const loads = plan.map(([operation], index) => ({ operation, outcome: outcomes[index]! })).filter(({ operation }) => operation === 'load');
    expect(loads.every(({ outcome }) => outcome.ok)).toBe(true);

    const log = readOperationsLog(config.operationsLog).filter((entry) => entry.host === host);
    const jobIds = new Set(handles.map((handle) => handle.id));
    const ours = log.filter((entry) => jobIds.has(entry.jobId));
    expect(ours.filter((entry) => entry.phase === 'start')).toHaveLength(20);
    expect(ours.filter((entry) => entry.phase === 'end')).toHaveLength(20);
    expect(overlaps(ours)).toEqual([]);
    // Work was shared: more than one worker process ran operations.
    expect(new Set(ours.map((entry) => entry.worker)).size).toBeGreaterThan(1);

    const provisioner = inspector(sim);
    try {
      for (const node of nodes) await provisioner.unload({ node: { name: node } });
      for (const node of nodes) await expect(provisioner.getCurrentImage({ node: { name: node } })).rejects.toBeInstanceOf(NodeNotFoundError);
    } finally {
      await provisioner.close();
    }
  });

  it('streams the operation progress events to the client and returns the typed result', async () => {
    const node = unique('fleet');
    const handle = await client.submit({ host, operation: 'load', node: { name: node }, image: sim.image });
    const steps: string[] = [];
    const stop = handle.onProgress(({ event }) => steps.push(event.step));
    const result = await handle.result({ timeoutMs: 120_000 });
    expect(result).toMatchObject({ node, image: sim.image });
    expect(typeof result.durationMs).toBe('number');
    // Events may still be on their way after the result: the job's log holds every one.
    const history = await client.progressSoFar(host, handle.id);
    expect(history.map((entry) => entry.event.step)).toEqual(expect.arrayContaining(['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'load-done']));
    expect(history.every((entry) => entry.event.node === node && entry.event.operation === 'load')).toBe(true);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps).toEqual(history.slice(0, steps.length).map((entry) => entry.event.step));
    stop();
    const unload = await client.submit({ host, operation: 'unload', node: { name: node } });
    expect(await unload.result({ timeoutMs: 60_000 })).toBeNull();
  });

  it('rebuilds a failure as a typed provkit error with code, step and retryability', async () => {
    const handle = await client.submit({ host, operation: 'load', node: { name: unique('fleet') }, image: 'missing-image-v9' });
    const error = await handle.result({ timeoutMs: 60_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FleetRemoteError);
    expect(ProvkitError.reasonCode(error)).toBe('IMAGE_NOT_FOUND');
    expect((error as FleetRemoteError).isRetryable).toBe(false);
    expect((error as FleetRemoteError).jobId).toBe(handle.id);
    expect(await handle.state()).toBe('failed');
  });

  it('returns the same job for a repeated idempotency key and refuses the key for another request', async () => {
    const node = unique('fleet');
    const key = unique('key');
    const first = await client.submit({ host, operation: 'unload', node: { name: node }, idempotencyKey: key });
    const again = await client.submit({ host, operation: 'unload', node: { name: node }, idempotencyKey: key });
    expect(again.id).toBe(first.id);
    await expect(client.submit({ host, operation: 'unload', node: { name: unique('other') }, idempotencyKey: key })).rejects.toBeInstanceOf(ConflictError);
    expect(await first.result({ timeoutMs: 60_000 })).toBeNull();
    const log = readOperationsLog(config.operationsLog).filter((entry) => entry.jobId === first.id && entry.host === host && entry.phase === 'start');
    expect(log).toHaveLength(1);
  });
});
