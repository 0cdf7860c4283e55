/**
 * Real processes for the fleet's lab tests: the lab's Redis, vSphere simulators (the shared
 * one, or private ones with slow guest tools), `provkit worker` child processes, and the
 * workers' operations log.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Secret } from '@provkit/core';
import { ensureLabService, firstStdoutLine, jsonLines, labRoot, type KvmRun, type RedisLabState, type VcsimLabState } from '@provkit/lab';
import { EsxProvisioner, type VimDriver } from '@provkit/provisioner-esx';
import { stringify } from 'yaml';

const repoRoot = join(labRoot, '..');

/** A name unique to this run. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** The lab's Redis (started through the lab, so a fresh run starts it). */
export function labRedis(): Promise<RedisLabState> {
  return ensureLabService<RedisLabState>('redis');
}

/** One simulated host of a test: its simulator and the name the fleet knows it by. */
export interface SimulatedHost {
  name: string;
  sim: VcsimLabState;
}

/** A simulator this test started (private: slow tools, or a host of its own). */
export interface PrivateSimulator {
  state: VcsimLabState;
  stop(): Promise<void>;
}

/**
 * Starts a simulator of the lab's build on a free loopback port with `toolsDelayMs` between
 * power-on and Tools running: a load then spends that long between `powered-on` and
 * `machine-booted`, a window to kill or cancel it in. Bounded: 60 s to print its URL.
 */
export async function startPrivateSimulator(options: { toolsDelayMs?: number } = {}): Promise<PrivateSimulator> {
  const { stdout } = await promisify(execFile)('bash', [join(labRoot, 'services', 'vcsim-esx.sh'), 'build'], { timeout: 600_000 });
  const binary = stdout.trim().split('\n').at(-1)!;
  const directory = mkdtempSync(join(tmpdir(), 'provkit-fleet-vcsim-'));
  const caPath = join(directory, 'cert.pem');
  const args = ['-mode', 'esx', '-listen', '127.0.0.1:0', '-cert-out', caPath, '-images-folder', '', '-tools-delay', `${options.toolsDelayMs ?? 200}ms`];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const line = await firstStdoutLine(child, 'the simulator', 60_000, () => stderr);
    const info = JSON.parse(line) as Omit<VcsimLabState, 'caPath' | 'pidPath' | 'logPath'>;
    return { state: { ...info, caPath, pidPath: '', logPath: '' }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A fleet configuration on disk (the file the CLI reads) and the environment its workers need. */
export interface FleetLabConfig {
  path: string;
  env: NodeJS.ProcessEnv;
  directory: string;
  /** The JSON-lines file every worker appends its operations to. */
  operationsLog: string;
  remove(): void;
}

/** Writes a configuration serving `hosts` (each a simulator) with `concurrency` per host. */
export function writeFleetConfig(redis: RedisLabState, hosts: readonly SimulatedHost[], options: { concurrency?: number } = {}): FleetLabConfig {
  const directory = mkdtempSync(join(tmpdir(), 'provkit-fleet-'));
  const env: NodeJS.ProcessEnv = {};
  const section = (host: SimulatedHost, index: number): Record<string, unknown> => {
    // The password reaches workers through the environment, by name: never in the file, never in Redis.
    env[`FLEET_LAB_PASSWORD_${index}`] = host.sim.password;
    return { kind: 'esx', api: { url: host.sim.url, username: host.sim.username, passwordEnv: `FLEET_LAB_PASSWORD_${index}`, tls: { caFile: host.sim.caPath }, datacenter: host.sim.datacenter } };
  };
  const [first, ...rest] = hosts;
  const config = {
    provisioner: section(first!, 0),
    fleet: {
      redis: redis.url,
      host: first!.name,
      concurrency: options.concurrency ?? 4,
      ...(rest.length ? { hosts: Object.fromEntries(rest.map((host, index) => [host.name, { provisioner: section(host, index + 1) }])) } : {}),
    },
  };
  const path = join(directory, 'provkit.yaml');
  writeFileSync(path, stringify(config));
  return { path, env, directory, operationsLog: join(directory, 'operations.jsonl'), remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** One line of the workers' operations log. */
export interface OperationsLogEntry {
  at: number;
  phase: 'start' | 'end';
  worker: string;
  host: string;
  jobId: string;
  operation: string;
  resource?: string;
  fence: number | null;
}

/** Reads the operations log (empty when no operation ran yet). */
export function readOperationsLog(path: string): OperationsLogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OperationsLogEntry);
}

/** Pairs of runs on one resource whose [start, end] intervals overlap (should be none). */
export function overlaps(entries: readonly OperationsLogEntry[]): string[] {
  const runs = new Map<string, { resource: string; start: number; end: number; worker: string }>();
  for (const entry of entries) {
    if (!entry.resource) continue;
    const key = `${entry.worker}/${entry.jobId}/${entry.fence}`;
    const run = runs.get(key) ?? { resource: `${entry.host}/${entry.resource}`, start: Number.NaN, end: Number.POSITIVE_INFINITY, worker: entry.worker };
    if (entry.phase === 'start') run.start = entry.at;
    else run.end = entry.at;
    runs.set(key, run);
  }
  const found: string[] = [];
  const list = [...runs.entries()];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const [a, runA] = list[i]!;
      const [b, runB] = list[j]!;
      if (runA.resource === runB.resource && runA.start < runB.end && runB.start < runA.end) found.push(`${a} and ${b} on ${runA.resource}`);
    }
  }
  return found;
}

/** A `provkit worker` child process. */
export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  /** Every JSON line it printed so far. */
  lines: Record<string, unknown>[];
  /** Resolves when a printed line satisfies `match` (bounded). */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once it exited. */
  exited: Promise<number | string>;
  stderr(): string;
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  name: string;
  /** Small BullMQ lock and stall intervals, so a killed worker's job is taken over in seconds. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  nodeLeaseMs?: number;
  shutdownTimeoutMs?: number;
}

/** Starts `provkit worker` as its own process and waits until it serves (bounded 60 s). */
export async function startWorker(config: FleetLabConfig, options: StartWorkerOptions): Promise<WorkerProcess> {
  const args = [
    '--conditions=provkit-source',
    join(repoRoot, 'packages', 'cli', 'src', 'cli.ts'),
    'worker',
    '--config',
    config.path,
    '--json',
    '--name',
    options.name,
    '--operations-log',
    config.operationsLog,
    '--lock-duration-ms',
    String(options.lockDurationMs ?? 3000),
    '--stalled-interval-ms',
    String(options.stalledIntervalMs ?? 1000),
    '--node-lease-ms',
    String(options.nodeLeaseMs ?? 3000),
    '--shutdown-timeout-ms',
    String(options.shutdownTimeoutMs ?? 10_000),
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...config.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const { lines, waitFor: waitForLine, exited, stderr } = jsonLines(child, `worker ${options.name}`);
  const waitFor = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => waitForLine(match, timeoutMs);
  await waitFor((line) => line.ready === true);
  return { child, name: options.name, lines, waitFor, exited, stderr };
}

/** Stops a worker: SIGTERM (graceful) and waits for its exit; no-op once it exited. */
export async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  await worker.exited;
}

/** An in-process provisioner on a simulator, for checking what the fleet left on the host. */
export function inspector(sim: VcsimLabState): EsxProvisioner {
  return new EsxProvisioner({ api: { url: sim.url, username: sim.username, password: Secret.of(sim.password), tls: { caFile: sim.caPath }, datacenter: sim.datacenter } });
}

/** Number of VMs (templates included) the simulator holds: an orphan shows as one more. */
export async function vmCount(provisioner: EsxProvisioner): Promise<number> {
  const api = (provisioner.driver as VimDriver).api;
  const content = await api.serviceContent();
  return (await api.viewObjects(content.rootFolder, 'VirtualMachine', ['name'])).length;
}

/** The libvirt domains of a KVM lab run (names with its prefix), read with virsh. */
export function runDomains(run: KvmRun): string[] {
  return execFileSync('virsh', ['-c', run.libvirt.uri, 'list', '--all', '--name'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name.startsWith(run.prefix));
}
