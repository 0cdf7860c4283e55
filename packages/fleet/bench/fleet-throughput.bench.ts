/**
 * Fleet throughput benchmark: CYCLES load + unload cycles (2 operations each) across HOSTS
 * private ESX simulators, run as fleet jobs by 1, 2 and 4 `provkit worker` processes, beside
 * the same operations called in one process with the same concurrency (CONCURRENCY per host,
 * also the fleet's global per-host limit), in one run. Also: Redis commands per operation
 * (`INFO commandstats` before and after the 1-worker run, this benchmark's Redis traffic only
 * when nothing else uses the lab's Redis meanwhile).
 *
 * Run: `npm run bench -- fleet` (env CYCLES, HOSTS, CONCURRENCY, WORKERS, EVERYSEC=0 to skip the
 * everysec row; defaults 100 cycles = 200 operations, 2, 4, "1,2,4").
 */
import { randomBytes } from 'node:crypto';
import { Secret, createEmitter } from '@provkit/core';
import { printTable, type RedisLabState } from '@provkit/lab';
import { EsxProvisioner } from '@provkit/provisioner-esx';
import { Redis } from 'ioredis';
import { FleetClient } from '../src/index.ts';
import { labRedis, startPrivateSimulator, startWorker, stopWorker, writeFleetConfig, type PrivateSimulator, type SimulatedHost } from '../lab-tests/test-support/fleet-lab.ts';

const CYCLES = Number(process.env['CYCLES'] ?? 100);
const HOSTS = Number(process.env['HOSTS'] ?? 2);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 4);
const WORKERS = (process.env['WORKERS'] ?? '1,2,4').split(',').map(Number);
const RUN = randomBytes(3).toString('hex');

/** Runs CYCLES cycles spread evenly over the hosts, CONCURRENCY at once per host; returns the wall time. */
async function drive(hosts: readonly string[], cycle: (host: string, index: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  await Promise.all(
    hosts.map(async (host, hostIndex) => {
      const indexes = Array.from({ length: CYCLES }, (_, index) => index).filter((index) => index % hosts.length === hostIndex);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let index = indexes.shift(); index !== undefined; index = indexes.shift()) await cycle(host, index);
        }),
      );
    }),
  );
  return performance.now() - started;
}

async function inProcess(hosts: readonly SimulatedHost[]): Promise<number> {
  const provisioners = new Map(hosts.map((host) => [host.name, new EsxProvisioner({ events: createEmitter(), api: { url: host.sim.url, username: host.sim.username, password: Secret.of(host.sim.password), tls: { caFile: host.sim.caPath }, datacenter: host.sim.datacenter } })]));
  // Login outside the clock, as a worker does before it takes jobs.
  for (const provisioner of provisioners.values()) await provisioner.listImages();
  const wallMs = await drive(
    hosts.map((host) => host.name),
    async (host, index) => {
      const provisioner = provisioners.get(host)!;
      const node = { name: `fbench-${RUN}-p-${index}` };
      await provisioner.load({ node, image: hosts[0]!.sim.image });
      await provisioner.unload({ node });
    },
  );
  for (const provisioner of provisioners.values()) await provisioner.close();
  return wallMs;
}

/** Calls per command so far (commands inside Lua scripts included), from `INFO commandstats`. */
async function commandCounts(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((match) => [match[1]!, Number(match[2])]));
}

function difference(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([command, calls]) => [command, calls - (before.get(command) ?? 0)] as const).filter(([, calls]) => calls > 0));
}

async function viaFleet(redis: RedisLabState, hosts: readonly SimulatedHost[], workerCount: number): Promise<{ wallMs: number; commands: Map<string, number> }> {
  const names = hosts.map((host, index) => ({ ...host, name: `fbench-${RUN}-w${workerCount}-h${index}` }));
  const config = writeFleetConfig(redis, names, { concurrency: CONCURRENCY });
  const workers = await Promise.all(Array.from({ length: workerCount }, (_, index) => startWorker(config, { name: `fbench-${RUN}-w${workerCount}-${index}`, lockDurationMs: 30_000, stalledIntervalMs: 30_000 })));
  const client = new FleetClient({ connection: redis.url });
  const stats = new Redis(redis.url);
  try {
    // Warm: each host's queue and each worker's session, outside the clock.
    for (const host of names) await (await client.submit({ host: host.name, operation: 'listImages' })).result({ timeoutMs: 60_000 });
    const before = await commandCounts(stats);
    const wallMs = await drive(
      names.map((host) => host.name),
      async (host, index) => {
        const node = { name: `fbench-${RUN}-w${workerCount}-${index}` };
        await (await client.submit({ host, operation: 'load', node, image: names[0]!.sim.image })).result({ timeoutMs: 300_000 });
        await (await client.submit({ host, operation: 'unload', node })).result({ timeoutMs: 300_000 });
      },
    );
    // The INFO call itself is counted once; negligible beside thousands.
    const commands = difference(await commandCounts(stats), before);
    return { wallMs, commands };
  } finally {
    stats.disconnect();
    await client.close();
    await Promise.all(workers.map(stopWorker));
    config.remove();
  }
}

const redis = await labRedis();
const simulators: PrivateSimulator[] = [];
try {
  for (let index = 0; index < HOSTS; index++) simulators.push(await startPrivateSimulator());
  const hosts: SimulatedHost[] = simulators.map((simulator, index) => ({ name: `h${index}`, sim: simulator.state }));
  const operations = CYCLES * 2;
  console.log(`${CYCLES} load+unload cycles (${operations} operations) over ${HOSTS} simulated ESX hosts, ${CONCURRENCY} at once per host`);
  const baselineMs = await inProcess(hosts);
  const baselineRate = operations / (baselineMs / 1000);
  const rows = [];
  let commands = new Map<string, number>();
  for (const workerCount of WORKERS) {
    const run = await viaFleet(redis, hosts, workerCount);
    if (workerCount === WORKERS[0]) commands = run.commands;
    rows.push({ measure: `operations/s, ${workerCount} worker process${workerCount === 1 ? '' : 'es'}`, provkit: operations / (run.wallMs / 1000), baseline: baselineRate });
  }
  // The lab's Redis fsyncs its append-only file on every write (nothing acknowledged is lost,
  // even to a crash); everysec risks the last second of writes to a crash, not to a restart.
  // Measured once at 1 worker with that setting, restored afterwards.
  if (process.env['EVERYSEC'] !== '0') {
    const admin = new Redis(redis.url);
    try {
      await admin.config('SET', 'appendfsync', 'everysec');
      const run = await viaFleet(redis, hosts, 1);
      rows.push({ measure: 'operations/s, 1 worker process, appendfsync everysec', provkit: operations / (run.wallMs / 1000), baseline: baselineRate });
    } finally {
      await admin.config('SET', 'appendfsync', 'always');
      admin.disconnect();
    }
  }
  printTable('fleet throughput (ratio < 1: the queue costs; goal at 1 worker ≥ 0.9, i.e. ≤ 10% overhead)', rows, 'same operations in one process');
  const total = [...commands.values()].reduce((sum, calls) => sum + calls, 0);
  printTable(`Redis traffic at ${WORKERS[0]} worker(s)`, [{ measure: 'Redis commands per operation', provkit: total / operations, baseline: total / operations }], 'itself');
  const top = [...commands].sort((a, b) => b[1] - a[1]).slice(0, 10);
  console.log(`per operation, by command: ${top.map(([command, calls]) => `${command} ${(calls / operations).toFixed(1)}`).join(', ')}`);
} finally {
  for (const simulator of simulators) await simulator.stop();
}
process.exit(0);
