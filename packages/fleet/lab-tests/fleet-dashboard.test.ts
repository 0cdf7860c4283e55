/**
 * The fleet's web dashboard (Bull Board, served by `provkit fleet dashboard`) checked in
 * Debian's Chromium, headless, driven by playwright-core: after a worker process ran a load on
 * the simulator, the page lists the host's queue and the job.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureLabService, labRoot, type ChromiumLabState, type RedisLabState, type VcsimLabState } from '@provkit/lab';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient } from '../src/index.ts';
import { labRedis, startWorker, stopWorker, unique, writeFleetConfig, type FleetLabConfig, type WorkerProcess } from './test-support/fleet-lab.ts';

let redis: RedisLabState;
let sim: VcsimLabState;
let browserPath: string;
let config: FleetLabConfig;
let worker: WorkerProcess;
let client: FleetClient;
let browser: Browser | undefined;
const host = unique('dash');

beforeAll(async () => {
  redis = await labRedis();
  sim = await ensureLabService<VcsimLabState>('vcsim-esx');
  browserPath = (await ensureLabService<ChromiumLabState>('chromium')).executablePath;
  config = writeFleetConfig(redis, [{ name: host, sim }]);
  worker = await startWorker(config, { name: `${host}-w` });
  client = new FleetClient({ connection: redis.url });
});

afterAll(async () => {
  await browser?.close();
  if (worker) await stopWorker(worker);
  await client?.close();
  config?.remove();
});

/** `provkit fleet dashboard` as its own process; resolves with its URL and a stop function. */
async function serveDashboard(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--conditions=provkit-source', join(labRoot, '..', 'packages', 'cli', 'src', 'cli.ts'), 'fleet', 'dashboard', '--redis', redis.url, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the dashboard printed no URL within 60 s: ${stderr}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /"url":\s*"([^"]+)"/.exec(stdout);
      if (match) (clearTimeout(timer), resolve(match[1]!));
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the dashboard exited (${code}): ${stderr}`))));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('fleet dashboard', () => {
  it('shows the host queue and its jobs in headless Chromium', async () => {
    const node = unique('dash');
    const load = await client.submit({ host, operation: 'load', node: { name: node }, image: sim.image });
    await load.result({ timeoutMs: 120_000 });
    const unload = await client.submit({ host, operation: 'unload', node: { name: node } });
    await unload.result({ timeoutMs: 120_000 });

    const dashboard = await serveDashboard();
    try {
      browser = await chromium.launch({
        executablePath: browserPath,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        timeout: 60_000,
      });
      const page = await browser.newPage();
      await page.goto(dashboard.url, { timeout: 60_000 });
      await expect(page.title()).resolves.toContain('provkit fleet');
      await page.getByText(`host.${host}`).first().waitFor({ timeout: 60_000 });
      await page.goto(`${dashboard.url}queue/${encodeURIComponent(`host.${host}`)}?status=completed`, { timeout: 60_000 });
      // Both jobs are listed by their operation name, with their ids.
      await page.getByText('load', { exact: true }).first().waitFor({ timeout: 60_000 });
      await page.getByText('unload', { exact: true }).first().waitFor({ timeout: 60_000 });
      const text = await page.locator('body').innerText();
      expect(text).toContain(`#${load.id}`);
      expect(text).toContain(`#${unload.id}`);
    } finally {
      await dashboard.stop();
    }
  });
});
