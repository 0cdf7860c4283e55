/**
 * The fleet on the lab's real KVM host (libvirt + QEMU under TCG, a small Debian-kernel guest):
 * a worker SIGKILLed during a load, after the domain is defined and before the guest answers
 * SSH. Another worker takes the job over; no domain or disk is left over; the client gets one
 * result. (TCG guests are CPU-expensive on this machine: one node here; the overlap test on
 * KVM is fleet-kvm-overlap.test.ts.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, prepareKvmRun, writeKvmProvkitConfig, type KvmRun, type RedisLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, type FleetJobHandle } from '../src/index.ts';
import { type FleetLabConfig, labRedis, readOperationsLog, runDomains, startWorker, stopWorker, unique, type WorkerProcess } from './test-support/fleet-lab.ts';

let redis: RedisLabState;
let run: KvmRun;
let config: FleetLabConfig;
let client: FleetClient;
let host: string;
let node: string;
let port: number;
const workers: WorkerProcess[] = [];

const domains = (): string[] => runDomains(run);

/** Resolves when the job published `step`, bounded. */
function reached(handle: FleetJobHandle, step: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error(`job ${handle.id} did not reach ${step} within ${timeoutMs} ms`))), timeoutMs);
    const stop = handle.onProgress(({ event }) => {
      if (event.step === step) (clearTimeout(timer), stop(), resolve());
    });
  });
}

beforeAll(async () => {
  redis = await labRedis();
  run = await prepareKvmRun('fleet');
  host = unique('kvm');
  node = `${run.prefix}-n1`;
  port = await freeLoopbackPort();
  const directory = mkdtempSync(join(tmpdir(), 'provkit-fleet-kvm-'));
  const path = await writeKvmProvkitConfig(run, directory, {});
  const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...file, fleet: { redis: redis.url, host, concurrency: 2 } }, null, 2));
  config = { path, env: {}, directory, operationsLog: join(directory, 'operations.jsonl'), remove: () => rmSync(directory, { recursive: true, force: true }) };
  client = new FleetClient({ connection: redis.url });
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await client?.close();
  config?.remove();
  await run?.remove();
});

describe('fleet on the lab KVM host', () => {
  it('a worker SIGKILLed during a load (domain defined, guest not yet answering): another worker finishes, nothing orphaned, one result', async () => {
    const doomed = await startWorker(config, { name: `${host}-doomed`, lockDurationMs: 5000, stalledIntervalMs: 2000, nodeLeaseMs: 5000 });
    workers.push(doomed);
    const handle = await client.submit({ host, operation: 'load', node: { name: node, address: { host: '127.0.0.1', port } }, image: run.image });
    await reached(handle, 'node-defined', 240_000);
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBe('SIGKILL');
    expect(domains()).toEqual([node]); // the dead worker's half-made node
    const heir = await startWorker(config, { name: `${host}-heir`, lockDurationMs: 5000, stalledIntervalMs: 2000, nodeLeaseMs: 5000 });
    workers.push(heir);

    const result = await handle.result({ timeoutMs: 600_000 });
    expect(result).toMatchObject({ node, image: run.image });
    expect((await client.progressSoFar(host, handle.id)).map((entry) => entry.event.step)).toEqual(expect.arrayContaining(['fleet-recovery', 'machine-booted', 'load-done']));
    const runs = readOperationsLog(config.operationsLog).filter((entry) => entry.jobId === handle.id);
    expect(runs.filter((entry) => entry.phase === 'start').map((entry) => entry.worker)).toEqual([doomed.name, heir.name]);
    expect(runs.filter((entry) => entry.phase === 'end').map((entry) => entry.worker)).toEqual([heir.name]);
    // Nothing orphaned: one domain, and only its own disk(s) in the node-disk directory.
    expect(domains()).toEqual([node]);
    // `.provkit` keeps the KVM provisioner's lock files by design; an intent record left there would be an unfinished operation.
    expect(readdirSync(run.nodeDiskDir).filter((file) => file !== '.provkit').every((file) => file.startsWith(node))).toBe(true);
    expect(readdirSync(join(run.nodeDiskDir, '.provkit')).filter((file) => !file.endsWith('.lock'))).toEqual([]);

    const unload = await client.submit({ host, operation: 'unload', node: { name: node } });
    expect(await unload.result({ timeoutMs: 300_000 })).toBeNull();
    expect(domains()).toEqual([]);
    expect(readdirSync(run.nodeDiskDir).filter((file) => file !== '.provkit')).toEqual([]);
    expect(readdirSync(join(run.nodeDiskDir, '.provkit')).filter((file) => !file.endsWith('.lock'))).toEqual([]);
  });
});
