import { AbortedError, ImageInUseError, OperationFailedError, RemoteFaultError, type ProgressEvent } from '@provkit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EsxProvisioner } from '../src/index.ts';
import * as requests from '../src/translation/vim-requests.ts';
import { parseMoRef } from '../src/translation/vim-responses.ts';
import type { VimDriver } from '../src/vsphere/vim-driver.ts';
import { startOrchestrator } from './test-support/orchestrators.ts';
import { inventoryNames, provisionerFor, releaseClones, setClonePlan, startPrivateSimulator, unique, type PrivateSimulator } from './test-support/simulator.ts';

// Each mode gets a simulator of its own: the tests set its clone faults (lab/vcsim/vcsim/faults.go),
// which must not reach other users of the shared service.
describe.each(['vpx', 'esx'] as const)('crash consistency across orchestrator processes (private %s simulator)', (mode) => {
  let simulator: PrivateSimulator;
  let provisioner: EsxProvisioner;

  beforeAll(async () => {
    simulator = await startPrivateSimulator(mode);
    provisioner = provisionerFor(simulator.state);
  });
  afterEach(async () => {
    await setClonePlan(simulator.state, {});
  });
  afterAll(async () => {
    await provisioner?.close();
    await simulator?.stop();
  });

  const api = () => (provisioner.driver as VimDriver).api;
  const nodePath = (name: string) => `${simulator.state.datacenter.slice(1)}/vm/${name}`;
  const recordOf = async (name: string) => {
    const ref = await api().findByPath(nodePath(name));
    if (ref === undefined) throw new Error(`no VM ${name}`);
    return api().extraConfig(ref);
  };

  /** A load in its own process SIGKILLed while its CloneVM_Task runs; the endpoint then ends the clone. */
  async function killedMidClone(name: string, image?: string): Promise<string> {
    await setClonePlan(simulator.state, { hold: true, count: 1 });
    // A lease of 1 ms: the record's lease has passed when the held clone ends, as a dead load's would.
    const dead = startOrchestrator(simulator.state, { operation: 'load', node: name, leaseMs: 1, ...(image ? { image } : {}) });
    await dead.waitFor((line) => line['event'] === 'clone-started');
    await dead.kill();
    expect(await dead.exited).toBe('SIGKILL');
    await releaseClones(simulator.state);
    const record = await recordOf(name);
    expect(record).toMatchObject({ 'provkit.state': 'loading', 'provkit.image': image ?? simulator.state.image });
    return record['provkit.operation']!;
  }

  it('an orchestrator SIGKILLed mid-clone: its clone is listed as a leftover (not removed), and the next load of the name in another process removes it and succeeds', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    const deadOperation = await killedMidClone(name);
    expect(await provisioner.leftovers()).toEqual([{ kind: 'node', name, operation: deadOperation, owner: expect.stringMatching(/\/\d+$/), removed: false }]);
    expect(await inventoryNames(provisioner)).toEqual([...before, name].sort());

    const next = startOrchestrator(simulator.state, { operation: 'load', node: name });
    expect(await next.result()).toMatchObject({ result: 'ok' });
    expect(next.lines.filter((line) => line['step'] !== undefined).map((line) => line['step'])).toContain('node-replaced');
    const record = await recordOf(name);
    expect(record['provkit.state']).toBe('ready');
    expect(record['provkit.operation']).not.toBe(deadOperation);
    expect(await provisioner.leftovers()).toEqual([]);
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('an unload in another process, or leftovers({ remove: true }), removes what loads SIGKILLed mid-clone left', async () => {
    const before = await inventoryNames(provisioner);
    const [first, second] = [unique('node'), unique('node')];
    await killedMidClone(first);
    const secondOperation = await killedMidClone(second);
    const unload = startOrchestrator(simulator.state, { operation: 'unload', node: first });
    expect(await unload.result()).toMatchObject({ result: 'ok' });
    expect(await provisioner.leftovers({ remove: true })).toEqual([{ kind: 'node', name: second, operation: secondOperation, owner: expect.any(String), removed: true }]);
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('deleteImage after a load of that image was SIGKILLed mid-clone: the dead load\'s linked clone does not hold the image; both go', async () => {
    const base = unique('node');
    const image = `${unique('img')}-v1`;
    await provisioner.load({ node: { name: base }, image: simulator.state.image });
    await provisioner.capture({ node: { name: base }, image, skipPreCapture: true });
    await provisioner.unload({ node: { name: base } });
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    await killedMidClone(name, image);
    expect(await provisioner.deleteImage({ image })).toEqual({ deleted: true });
    expect(await inventoryNames(provisioner)).toEqual(before.filter((entry) => entry !== image));
  });

  it('deleteImage while a load of that image in another process runs its clone (no VM yet): ImageInUseError naming the running clone; the load then succeeds on the intact image', async () => {
    const base = unique('node');
    const image = `${unique('img')}-v1`;
    await provisioner.load({ node: { name: base }, image: simulator.state.image });
    await provisioner.capture({ node: { name: base }, image, skipPreCapture: true });
    await provisioner.unload({ node: { name: base } });
    const name = unique('node');
    await setClonePlan(simulator.state, { hold: true, count: 1 });
    const load = startOrchestrator(simulator.state, { operation: 'load', node: name, image });
    await load.waitFor((line) => line['event'] === 'clone-started');
    const failure = await provisioner.deleteImage({ image }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ImageInUseError);
    expect((failure as ImageInUseError).usedBy).toEqual(['1 clone task of it still running']);
    await releaseClones(simulator.state);
    expect(await load.result()).toMatchObject({ result: 'ok' });
    expect(await provisioner.getCurrentImage({ node: { name } })).toBe(image);
    await provisioner.unload({ node: { name } });
    expect(await provisioner.deleteImage({ image })).toEqual({ deleted: true });
  });

  /** A node loaded to be captured, the name of its image, and the inventory with it. */
  async function loadedForCapture(): Promise<{ node: string; image: string; before: string[] }> {
    const node = unique('node');
    await provisioner.load({ node: { name: node }, image: simulator.state.image });
    return { node, image: `${unique('cap')}-v1`, before: await inventoryNames(provisioner) };
  }

  /** A capture of a loaded node in its own process SIGKILLed while its CloneVM_Task (the temporary copy) runs; the endpoint then ends the clone. */
  async function captureKilledMidClone(node: string, image: string): Promise<string> {
    await setClonePlan(simulator.state, { hold: true, count: 1 });
    const dead = startOrchestrator(simulator.state, { operation: 'capture', node, image });
    await dead.waitFor((line) => line['event'] === 'clone-started');
    await dead.kill();
    expect(await dead.exited).toBe('SIGKILL');
    await releaseClones(simulator.state);
    const temporary = (await inventoryNames(provisioner)).find((entry) => entry.startsWith(`${image}~capture-`));
    expect(temporary, 'the killed capture\'s temporary copy').toBeDefined();
    return temporary!;
  }

  it('a capture SIGKILLed mid-clone: its temporary copy is listed as a capture leftover (not removed), then leftovers({ remove: true }) removes it', async () => {
    const { node, image, before } = await loadedForCapture();
    const temporary = await captureKilledMidClone(node, image);
    expect(await provisioner.leftovers()).toEqual([{ kind: 'capture', name: temporary, image, operation: expect.stringMatching(/^[0-9a-f]{16}$/), owner: expect.stringMatching(/\/\d+$/), removed: false }]);
    expect(await inventoryNames(provisioner)).toEqual([...before, temporary].sort());
    expect(await provisioner.leftovers({ remove: true })).toEqual([expect.objectContaining({ kind: 'capture', name: temporary, removed: true })]);
    expect(await inventoryNames(provisioner)).toEqual(before);
    expect(await provisioner.leftovers()).toEqual([]);
    await provisioner.unload({ node: { name: node } });
  });

  it('the same capture retried in another process after one was SIGKILLed mid-clone: the dead capture\'s copy goes, the image is made, nothing else is left', async () => {
    const { node, image, before } = await loadedForCapture();
    const temporary = await captureKilledMidClone(node, image);
    const retry = startOrchestrator(simulator.state, { operation: 'capture', node, image });
    expect(await retry.result()).toMatchObject({ result: 'ok' });
    expect(await inventoryNames(provisioner)).toEqual([...before, image].sort());
    expect(await inventoryNames(provisioner)).not.toContain(temporary);
    expect(await provisioner.leftovers()).toEqual([]);
    expect(await provisioner.deleteImage({ image })).toEqual({ deleted: true });
    await provisioner.unload({ node: { name: node } });
  });

  it('a capture whose clone the simulator fails after making the copy: the capture fails typed and its temporary copy is destroyed', async () => {
    const { node, image, before } = await loadedForCapture();
    await setClonePlan(simulator.state, { fault: 'fail-after-create', count: 1 });
    const failure = await provisioner.capture({ node: { name: node }, image, skipPreCapture: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).step).toBe('copy-to-template');
    expect(await inventoryNames(provisioner)).toEqual(before);
    await provisioner.unload({ node: { name: node } });
  });

  it('two orchestrators on one name: a load started while another process\'s load of it runs gets CONFLICT and leaves its VM alone; the running load succeeds with its own VM', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    const first = startOrchestrator(simulator.state, { operation: 'load', node: name, gate: true });
    await first.waitFor((line) => line['event'] === 'waiting-for-go');
    const firstOperation = (await recordOf(name))['provkit.operation'];
    const second = startOrchestrator(simulator.state, { operation: 'load', node: name });
    expect(await second.result()).toMatchObject({ result: 'error', code: 'CONFLICT' });
    const unload = startOrchestrator(simulator.state, { operation: 'unload', node: name });
    expect(await unload.result()).toMatchObject({ result: 'error', code: 'CONFLICT' });
    first.tell('go');
    expect(await first.result()).toMatchObject({ result: 'ok' });
    expect(await recordOf(name)).toMatchObject({ 'provkit.operation': firstOperation, 'provkit.state': 'ready' });
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('a load that fails does not destroy the VM another orchestrator put under its name meanwhile', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    const first = startOrchestrator(simulator.state, { operation: 'load', node: name, gate: true });
    await first.waitFor((line) => line['event'] === 'waiting-for-go');
    // Another orchestrator (here: this test, through the API) replaced the VM under the running load.
    const mine = (await api().findByPath(nodePath(name)))!;
    const template = (await api().findByPath(`${simulator.state.datacenter.slice(1)}/vm/${simulator.state.imagesFolder ? `${simulator.state.imagesFolder}/` : ''}${simulator.state.image}`))!;
    const folder = (await api().findByPath(`${simulator.state.datacenter.slice(1)}/vm`))!;
    const pool = (await api().properties(mine, ['resourcePool']))['resourcePool'];
    await api().runTask(requests.powerOffVmTask(mine)).catch(() => undefined);
    await api().runTask(requests.destroyTask(mine));
    await api().runTask(requests.cloneVmTask(template, { folder, name, pool: parseMoRef(pool)!, config: { extraConfig: { 'provkit.image': simulator.state.image, 'provkit.operation': 'someone-else' } } }));
    first.tell('fail');
    expect(await first.result()).toMatchObject({ result: 'error', code: 'OPERATION_FAILED' });
    expect(await recordOf(name)).toMatchObject({ 'provkit.operation': 'someone-else' });
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('two orchestrator processes loading one name started together (clones slowed to 300 ms): one succeeds, the other fails typed or replaces the finished node; one VM is left, ready', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    await setClonePlan(simulator.state, { delayMs: 300 });
    const both = [startOrchestrator(simulator.state, { operation: 'load', node: name }), startOrchestrator(simulator.state, { operation: 'load', node: name })];
    const results = await Promise.all(both.map((orchestrator) => orchestrator.result()));
    expect(results.filter((result) => result['result'] === 'ok').length).toBeGreaterThanOrEqual(1);
    for (const result of results.filter((entry) => entry['result'] !== 'ok')) expect(['CONFLICT', 'NODE_EXISTS']).toContain(result['code']);
    expect(await inventoryNames(provisioner)).toEqual([...before, name].sort());
    expect((await recordOf(name))['provkit.state']).toBe('ready');
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('a clone the simulator fails (InsufficientResourcesFault): the load fails typed, nothing is left, and the same load then succeeds', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    await setClonePlan(simulator.state, { fault: 'fail', count: 1 });
    const failure = await provisioner.load({ node: { name }, image: simulator.state.image }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).step).toBe('clone');
    expect((failure as OperationFailedError).cause).toBeInstanceOf(RemoteFaultError);
    expect(await inventoryNames(provisioner)).toEqual(before);
    await provisioner.load({ node: { name }, image: simulator.state.image });
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('a clone the simulator fails after making its VM: the load fails typed, the half-made VM (this load\'s id) is destroyed, and the same load then succeeds', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    await setClonePlan(simulator.state, { fault: 'fail-after-create', count: 1 });
    const failure = await provisioner.load({ node: { name }, image: simulator.state.image }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).step).toBe('clone');
    expect(await inventoryNames(provisioner)).toEqual(before);
    await provisioner.load({ node: { name }, image: simulator.state.image });
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('a clone that hangs: the load aborted during it cancels, awaits the task\'s end (released here) and destroys what it made; the same load then succeeds', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    await setClonePlan(simulator.state, { hold: true, count: 1 });
    const controller = new AbortController();
    const methods: string[] = [];
    let released: Promise<void> | undefined;
    const stop = api().client.onRequest((event) => {
      methods.push(event.method);
      if (event.method === 'CloneVM_Task') controller.abort();
      // The task is given up on: only now does the endpoint let the held clone end.
      if (event.method === 'CancelTask') released ??= releaseClones(simulator.state);
    });
    const steps: ProgressEvent[] = [];
    const failure = await provisioner.load({ node: { name }, image: simulator.state.image, signal: controller.signal, onProgress: (event) => steps.push(event) }).catch((error: unknown) => error);
    stop();
    await released;
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).cause).toBeInstanceOf(AbortedError);
    expect(methods.indexOf('Destroy_Task')).toBeGreaterThan(methods.indexOf('CancelTask'));
    expect(await inventoryNames(provisioner)).toEqual(before);
    await provisioner.load({ node: { name }, image: simulator.state.image });
    await provisioner.unload({ node: { name } });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });
});
