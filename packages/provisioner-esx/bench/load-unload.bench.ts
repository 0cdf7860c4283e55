/**
 * ESX load/unload benchmark: 50 cycles (load a linked clone from the lab template, wait for
 * VMware Tools and an IP, then unload), 8 at a time, against the lab's vCenter simulator, by
 * provkit and by a Go program using govmomi (lab/vcsim/bench-govmomi) making the same calls,
 * in one run. Figures: wall time, and SOAP requests per load and per cycle.
 *
 * Run: `node --conditions=provkit-source packages/provisioner-esx/bench/load-unload.bench.ts`
 * (env CYCLES, CONCURRENCY to change the defaults 50 and 8).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Secret } from '@provkit/core';
import { ensureLabService, labCache, labRoot, printTable, type VcsimLabState } from '@provkit/lab';
import { EsxProvisioner, type VimDriver } from '../src/index.ts';

const CYCLES = Number(process.env['CYCLES'] ?? 50);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 8);
const run = promisify(execFile);
// Names of this run's nodes: a run never trips over the leftovers of an interrupted one.
const RUN = randomBytes(3).toString('hex');

/** Builds the govmomi baseline in GOPATH mode (as the simulator), cached by a hash of its source. */
async function buildBaseline(): Promise<string> {
  const source = join(labRoot, 'vcsim', 'bench-govmomi');
  const hash = createHash('sha256');
  for (const file of readdirSync(source).sort()) hash.update(file).update(readFileSync(join(source, file)));
  const out = join(labCache, 'vcsim-bench', hash.digest('hex').slice(0, 16), 'bench-govmomi');
  if (!existsSync(out)) {
    mkdirSync(join(out, '..'), { recursive: true });
    await run('go', ['build', '-o', out, '.'], { cwd: source, env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(labCache, 'vcsim', 'gocache') } });
  }
  return out;
}

interface Figures {
  wallMs: number;
  load: number;
  unload: number;
  unattributed: number;
}

async function runProvkit(lab: VcsimLabState): Promise<Figures> {
  const provisioner = new EsxProvisioner({
    api: { url: lab.url, username: lab.username, password: Secret.of(lab.password), tls: { caFile: lab.caPath }, datacenter: lab.datacenter, imagesFolder: lab.imagesFolder },
  });
  const operation = new AsyncLocalStorage<string>();
  const counts: Record<string, number> = {};
  (provisioner.driver as VimDriver).api.client.onRequest(() => {
    const op = operation.getStore() ?? 'unattributed';
    counts[op] = (counts[op] ?? 0) + 1;
  });
  // Login and placement once, outside the clock, as the baseline does.
  await operation.run('setup', () => provisioner.listImages());
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let index = next++; index < CYCLES; index = next++) {
        const node = { name: `pkbench-${RUN}-${index}` };
        await operation.run('load', () => provisioner.load({ node, image: lab.image }));
        await operation.run('unload', () => provisioner.unload({ node }));
      }
    }),
  );
  const wallMs = performance.now() - started;
  await operation.run('setup', () => provisioner.close());
  return { wallMs, load: counts['load'] ?? 0, unload: counts['unload'] ?? 0, unattributed: counts['unattributed'] ?? 0 };
}

async function runBaseline(lab: VcsimLabState, binary: string): Promise<Figures> {
  const args = ['-url', lab.url, '-username', lab.username, '-ca-file', lab.caPath, '-datacenter', lab.datacenter.replace(/^\//, ''), '-images-folder', lab.imagesFolder, '-image', lab.image, '-cycles', String(CYCLES), '-concurrency', String(CONCURRENCY), '-prefix', `gobench-${RUN}`];
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(`${lab.password}\n`);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench-govmomi exited ${code}: ${stdout}`);
  const result = JSON.parse(stdout) as { wallMs: number; requests: Record<string, number> };
  return { wallMs: result.wallMs, load: result.requests['load'] ?? 0, unload: result.requests['unload'] ?? 0, unattributed: result.requests['unattributed'] ?? 0 };
}

const deadline = setTimeout(() => {
  console.error('benchmark exceeded 10 minutes');
  process.exit(1);
}, 600_000);
deadline.unref();

const lab = await ensureLabService<VcsimLabState>('vcsim-vpx');
const binary = await buildBaseline();
const provkit = await runProvkit(lab);
const baseline = await runBaseline(lab, binary);
const perCycle = (figures: Figures) => (figures.load + figures.unload + figures.unattributed) / CYCLES;
printTable(
  `ESX: ${CYCLES} load/unload cycles, concurrency ${CONCURRENCY}, vCenter simulator (${lab.url})`,
  [
    { measure: 'wall time (ms)', provkit: Math.round(provkit.wallMs), baseline: Math.round(baseline.wallMs) },
    { measure: 'SOAP requests per load', provkit: provkit.load / CYCLES, baseline: baseline.load / CYCLES },
    { measure: 'SOAP requests per unload', provkit: provkit.unload / CYCLES, baseline: baseline.unload / CYCLES },
    { measure: 'SOAP requests per cycle, all', provkit: perCycle(provkit), baseline: perCycle(baseline) },
  ],
  'govmomi 0.24 (Go)',
);
console.log(`(govmomi destroys the collector of each wait with a background context: those ${baseline.unattributed} requests count in "per cycle" only; provkit had ${provkit.unattributed})`);
