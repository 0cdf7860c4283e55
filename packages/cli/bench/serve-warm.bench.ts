/**
 * What one long-lived `provkit serve` saves an orchestrator in another language: 20
 * `doesImageExist` queries against the lab's KVM host (through the lab sshd) as requests to one
 * warm server, against the way an orchestrator uses the CLI (`provkit image exists`, a new
 * process, so a new Node start and a new SSH connection, per query). Connections are counted on
 * the server side, from the lab sshd's log.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareKvmRun, printTable, writeKvmProvkitConfig } from '@provkit/lab';
import { CLI_ENTRY, startServe } from '../test-support/serve-child.ts';

const QUERIES = 20;
const run = await prepareKvmRun('servebench');
const dir = await mkdtemp(join(tmpdir(), 'provkit-serve-bench-'));
const config = await writeKvmProvkitConfig(run, dir, {});
const accepted = (): number => readFileSync(run.sshd.logPath, 'utf8').split('\n').filter((line) => line.startsWith('Connection from ')).length;

async function measure(work: () => Promise<void>): Promise<{ ms: number; connections: number }> {
  const before = accepted();
  const started = performance.now();
  await work();
  return { ms: performance.now() - started, connections: accepted() - before };
}

function cliExists(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=provkit-source', CLI_ENTRY, 'image', 'exists', run.image, '--config', config], { cwd: dir, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`provkit image exists exited ${code}`))));
  });
}

const server = startServe({ cwd: dir, config });
try {
  let id = 0;
  const serveExists = async (): Promise<void> => {
    const response = await server.request(++id, 'provisioner.doesImageExist', { image: run.image });
    if (response.result !== true) throw new Error(`unexpected answer ${JSON.stringify(response)}`);
  };
  await serveExists(); // the server's one connection, opened before measuring (it stays warm)
  const warm = await measure(async () => {
    for (let index = 0; index < QUERIES; index++) await serveExists();
  });
  const perProcess = await measure(async () => {
    for (let index = 0; index < QUERIES; index++) await cliExists();
  });
  printTable(`${QUERIES} doesImageExist queries, one after another, on the lab KVM host (through the lab sshd)`, [
    { measure: 'wall ms', provkit: warm.ms, baseline: perProcess.ms },
    { measure: 'ms per query', provkit: warm.ms / QUERIES, baseline: perProcess.ms / QUERIES },
    { measure: 'new TCP connections to the host', provkit: warm.connections, baseline: perProcess.connections },
  ], '`provkit image exists` process per query');
} finally {
  server.child.stdin.end();
  await server.exited;
  await run.remove();
  await rm(dir, { recursive: true, force: true });
}
