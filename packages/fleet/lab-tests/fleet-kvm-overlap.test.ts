/**
 * The overlap test on the lab's real KVM host (libvirt + QEMU under TCG): 3 worker
 * processes, 20 operations over 5 KVM nodes submitted at once (a load, a power status, a
 * current-image query and an unload per node). The operations log lives in the run's directory
 * on the KVM host (the lab's host is this machine, reached by the provisioner over the lab's
 * sshd): every worker appends a start and an end line per operation, with the node and the
 * lease's fencing token. No two operations on one node may overlap in it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProvkitError } from '@provkit/core';
import { freeLoopbackPort, prepareKvmRun, writeKvmProvkitConfig, type KvmRun, type RedisLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, FleetRemoteError, type FleetJobHandle, type FleetOperation } from '../src/index.ts';
import { type FleetLabConfig, labRedis, overlaps, readOperationsLog, runDomains, startWorker, stopWorker, unique, type WorkerProcess } from './test-support/fleet-lab.ts';

let redis: RedisLabState;
let run: KvmRun;
let config: FleetLabConfig;
let client: FleetClient;
let host: string;
const workers: WorkerProcess[] = [];

const domains = (): string[] => runDomains(run);

beforeAll(async () => {
  redis = await labRedis();
  run = await prepareKvmRun('fleetov');
  host = unique('kvmov');
  const directory = mkdtempSync(join(tmpdir(), 'provkit-fleet-kvm-overlap-'));
  const path = await writeKvmProvkitConfig(run, directory, {});
  const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // Two TCG guests booting at once is what 2 shared cores bear within the boot timeout.
  writeFileSync(path, JSON.stringify({ ...file, fleet: { redis: redis.url, host, concurrency: 2 } }, null, 2));
  config = { path, env: {}, directory, operationsLog: join(run.runDir, 'operations.jsonl'), remove: () => rmSync(directory, { recursive: true, force: true }) };
  client = new FleetClient({ connection: redis.url });
  // Long leases: a TCG boot starves the machine's CPU, and a lease renewal that lapses aborts the load.
  for (const name of ['w1', 'w2', 'w3']) workers.push(await startWorker(config, { name: `${host}-${name}`, lockDurationMs: 30_000, stalledIntervalMs: 5000, nodeLeaseMs: 30_000 }));
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await client?.close();
  config?.remove();
  await run?.remove();
});

describe('fleet on the lab KVM host with 3 worker processes', () => {
  it('runs 20 operations over 5 KVM nodes submitted at once with no two operations on one node overlapping in the host-side log', async () => {
    const nodes = await Promise.all(Array.from({ length: 5 }, async (_, index) => ({ name: `${run.prefix}-n${index}`, address: { host: '127.0.0.1', port: await freeLoopbackPort() } })));
    // Loads first, so the queue (first in, first out) starts them before the rest.
    const plan: [FleetOperation, (typeof nodes)[number]][] = (['load', 'powerStatus', 'getCurrentImage', 'unload'] as const).flatMap((operation) => nodes.map((node) => [operation, node] as [FleetOperation, (typeof nodes)[number]]));
    const handles = await Promise.all(
      plan.map(([operation, node]) => client.submit({ host, operation, node, ...(operation === 'load' ? { image: run.image } : {}) }) as Promise<FleetJobHandle>),
    );
    const outcomes = await Promise.all(handles.map((handle) => handle.result({ timeoutMs: 900_000 }).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))));
    // One outcome each: a result, or a typed provkit error (an operation that ran before its
    // node's load, or after its unload, finds no node).
    for (const outcome of outcomes) {
      if (!outcome.ok) {
        expect(outcome.error).toBeInstanceOf(FleetRemoteError);
        expect(ProvkitError.reasonCode(outcome.error)).toBe('NODE_NOT_FOUND');
      }
    }
    const loads = outcomes.slice(0, nodes.length);
    expect(loads.map((outcome) => outcome.ok)).toEqual(nodes.map(() => true));

    const jobIds = new Set(handles.map((handle) => handle.id));
    const ours = readOperationsLog(config.operationsLog).filter((entry) => entry.host === host && jobIds.has(entry.jobId));
    expect(ours.filter((entry) => entry.phase === 'start')).toHaveLength(20);
    expect(ours.filter((entry) => entry.phase === 'end')).toHaveLength(20);
    expect(new Set(ours.map((entry) => entry.resource))).toEqual(new Set(nodes.map((node) => `node:${node.name}`)));
    expect(overlaps(ours)).toEqual([]);
    expect(new Set(ours.map((entry) => entry.worker)).size).toBeGreaterThan(1);

    // Whatever order the unloads ran in, unloading every node through the fleet leaves the host clean.
    const cleanup = await Promise.all(nodes.map((node) => client.submit({ host, operation: 'unload', node: { name: node.name } })));
    for (const handle of cleanup) expect(await handle.result({ timeoutMs: 300_000 })).toBeNull();
    expect(domains()).toEqual([]);
    // `.provkit` keeps the KVM provisioner's lock files by design; nothing else may stay.
    expect(readdirSync(run.nodeDiskDir).filter((file) => file !== '.provkit')).toEqual([]);
    expect(readdirSync(join(run.nodeDiskDir, '.provkit')).filter((file) => !file.endsWith('.lock'))).toEqual([]);
  }, 900_000);
});
