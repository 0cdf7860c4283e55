/**
 * SSH economy of the pooled runner against the lab sshd: 100 sequential and 100 concurrent
 * commands on one host through one pooled connection, beside VCL's way of running a remote
 * command (a new `ssh` process, hence a new TCP connection and handshake, per command).
 * Connections are counted on the server side, from sshd's log.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureLabService, printTable, type SshdLabState } from '@provkit/lab';
import { SshPool } from '@provkit/runners';

const COMMANDS = 100;
const lab = await ensureLabService<SshdLabState>('sshd');
const accepted = (): number => readFileSync(lab.logPath, 'utf8').split('\n').filter((line) => line.startsWith('Connection from ')).length;

async function measure(run: () => Promise<void>): Promise<{ ms: number; connections: number }> {
  const before = accepted();
  const started = performance.now();
  await run();
  return { ms: performance.now() - started, connections: accepted() - before };
}

function sshProcess(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-i', lab.privateKeyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-o', 'BatchMode=yes', '-p', String(lab.port), `${lab.username}@${lab.host}`, 'true'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh exited ${code}`))));
  });
}

async function limited(count: number, concurrency: number, task: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < count) await task();
  }));
}

const pool = new SshPool();
const runner = pool.runner({ host: lab.host, port: lab.port, username: lab.username, privateKeyPath: lab.privateKeyPath, hostKey: { kind: 'known-hosts', path: lab.knownHostsPath } });
const pooledSequential = await measure(async () => {
  for (let i = 0; i < COMMANDS; i++) await runner.run(['true']);
});
const pooledConcurrent = await measure(() => Promise.all(Array.from({ length: COMMANDS }, () => runner.run(['true']))).then(() => undefined));
await pool.close();
const vclSequential = await measure(async () => {
  for (let i = 0; i < COMMANDS; i++) await sshProcess();
});
// sshd's MaxStartups throttles unauthenticated connections; 8 at a time matches the pool's channel bound.
const vclConcurrent = await measure(() => limited(COMMANDS, 8, sshProcess));

printTable(`${COMMANDS} commands ("true") on one host, lab sshd on loopback`, [
  { measure: 'sequential: wall ms', provkit: pooledSequential.ms, baseline: vclSequential.ms },
  { measure: 'sequential: new TCP connections', provkit: pooledSequential.connections, baseline: vclSequential.connections },
  { measure: 'concurrent: wall ms', provkit: pooledConcurrent.ms, baseline: vclConcurrent.ms },
  { measure: 'concurrent: new TCP connections', provkit: pooledConcurrent.connections, baseline: vclConcurrent.connections },
], 'new ssh process per command (VCL)');
