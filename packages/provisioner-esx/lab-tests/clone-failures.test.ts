import { AbortedError, ConnectionError, ImageNotFoundError, NodeExistsError, OperationFailedError } from '@provkit/core';
import { ensureLabService, type VcsimLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EsxProvisioner } from '../src/index.ts';
import * as requests from '../src/translation/vim-requests.ts';
import { decodeExtraConfig, parseMoRef } from '../src/translation/vim-responses.ts';
import type { MoRef } from '../src/translation/xml.ts';
import type { VimDriver } from '../src/vsphere/vim-driver.ts';
import type { VimClient } from '../src/wire/vim-client.ts';
import { inventoryNames, provisionerFor, SIMULATORS, startPrivateSimulator, unique, type PrivateSimulator } from './test-support/simulator.ts';

/** Replaces `client.startTask` for CloneVM_Task while `run` runs (the client is shared: restored after). */
async function withCloneStart<T>(client: VimClient, replacement: (original: VimClient['startTask'], ...args: Parameters<VimClient['startTask']>) => ReturnType<VimClient['startTask']>, run: () => Promise<T>): Promise<T> {
  const original = client.startTask.bind(client);
  client.startTask = (request, options) => (request.method === 'CloneVM_Task' ? replacement(original, request, options) : original(request, options));
  try {
    return await run();
  } finally {
    client.startTask = original;
  }
}

describe.each(SIMULATORS)('a load or capture given up during its clone leaves nothing (simulator %s)', (service) => {
  let lab: VcsimLabState;
  let provisioner: EsxProvisioner;

  beforeAll(async () => {
    lab = await ensureLabService<VcsimLabState>(service);
    provisioner = provisionerFor(lab);
  });
  afterAll(async () => {
    await provisioner?.close();
  });

  it('aborted while CloneVM_Task is in flight: CancelTask, then the clone that was made anyway is destroyed', async () => {
    const before = await inventoryNames(provisioner);
    const client = (provisioner.driver as VimDriver).api.client;
    const name = unique('node');
    const controller = new AbortController();
    const methods: string[] = [];
    const stop = client.onRequest((event) => methods.push(event.method));
    const failure = await withCloneStart(
      client,
      (original, request, options) => {
        const started = original(request, options);
        controller.abort(); // the request is on its way: the endpoint starts the clone regardless
        return started;
      },
      () => provisioner.load({ node: { name }, image: lab.image, signal: controller.signal }).catch((error: unknown) => error),
    );
    stop();
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).step).toBe('clone');
    expect((failure as OperationFailedError).cause).toBeInstanceOf(AbortedError);
    expect(methods).toContain('CancelTask');
    expect(methods.indexOf('Destroy_Task')).toBeGreaterThan(methods.indexOf('CloneVM_Task'));
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('when the answer to CloneVM_Task is lost (no task reference), finds the clone by name and this load\'s id and destroys it', async () => {
    const before = await inventoryNames(provisioner);
    const client = (provisioner.driver as VimDriver).api.client;
    const name = unique('node');
    const failure = await withCloneStart(
      client,
      async (original, request, options) => {
        await original(request, options); // the endpoint made the clone...
        throw new ConnectionError('simulator', 'connection reset before the response (injected)'); // ...the answer never came
      },
      () => provisioner.load({ node: { name }, image: lab.image }).catch((error: unknown) => error),
    );
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).cause).toBeInstanceOf(ConnectionError);
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('a capture aborted while its CloneVM_Task is in flight leaves no hidden temporary template', async () => {
    const name = unique('node');
    const image = `${unique('cap')}-v1`;
    await provisioner.load({ node: { name }, image: lab.image });
    try {
      const before = await inventoryNames(provisioner);
      const client = (provisioner.driver as VimDriver).api.client;
      const controller = new AbortController();
      const failure = await withCloneStart(
        client,
        (original, request, options) => {
          const started = original(request, options);
          controller.abort();
          return started;
        },
        () => provisioner.capture({ node: { name }, image, skipPreCapture: true, signal: controller.signal }).catch((error: unknown) => error),
      );
      expect(failure).toBeInstanceOf(OperationFailedError);
      expect((failure as OperationFailedError).step).toBe('copy-to-template');
      expect((failure as OperationFailedError).cause).toBeInstanceOf(AbortedError);
      expect(await inventoryNames(provisioner)).toEqual(before);
      expect(await provisioner.doesImageExist({ image })).toBe(false);
    } finally {
      await provisioner.unload({ node: { name } });
    }
  });
});

// The shared service may run a build from before the lab simulator refused duplicate clone
// names (it is restarted only by `lab down`/`up`): these tests start their own.
describe.each(['esx', 'vpx'] as const)('a clone task that fails on the simulator (private %s simulator)', (mode) => {
  let simulator: PrivateSimulator;
  let provisioner: EsxProvisioner;

  beforeAll(async () => {
    simulator = await startPrivateSimulator(mode);
    provisioner = provisionerFor(simulator.state);
  });
  afterAll(async () => {
    await provisioner?.close();
    await simulator?.stop();
  });

  it('a VM of the same name made between the pre-check and the clone: CloneVM_Task fails with DuplicateName → NodeExistsError; the other VM is left alone and nothing else is made', async () => {
    const lab = simulator.state;
    const before = await inventoryNames(provisioner);
    const driver = provisioner.driver as VimDriver;
    const api = driver.api;
    const name = unique('node');
    const datacenter = lab.datacenter.slice(1);
    const template = (await api.findByPath(`${datacenter}/vm/${lab.imagesFolder ? `${lab.imagesFolder}/` : ''}${lab.image}`))!;
    const folder = (await api.findByPath(`${datacenter}/vm`))!;
    const pool = await firstResourcePool(provisioner, datacenter);
    const methods: string[] = [];
    const stop = api.client.onRequest((event) => methods.push(event.method));
    const createNode = driver.createNode.bind(driver);
    // The race, made deterministic: another client takes the name right after provkit checked it free.
    driver.createNode = async (request, options) => {
      await api.runTask(requests.cloneVmTask(template, { folder, name: request.node, pool, config: { extraConfig: { owner: 'someone-else' } } }));
      return createNode(request, options);
    };
    let failure: unknown;
    try {
      failure = await provisioner.load({ node: { name }, image: lab.image }).catch((error: unknown) => error);
    } finally {
      driver.createNode = createNode;
      stop();
    }
    expect(failure).toBeInstanceOf(NodeExistsError);
    expect(methods.filter((method) => method === 'CloneVM_Task')).toHaveLength(2);
    // Exactly one VM of that name: the other client's, untouched.
    expect(await inventoryNames(provisioner)).toEqual([...before, name].sort());
    const other = (await api.findByPath(`${datacenter}/vm/${name}`))!;
    expect(decodeExtraConfig((await api.properties(other, ['config.extraConfig']))['config.extraConfig'])).toMatchObject({ owner: 'someone-else' });
    await api.runTask(requests.destroyTask(other));
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('a template removed between the pre-check and the clone: CloneVM_Task faults → ImageNotFoundError, nothing is made', async () => {
    const lab = simulator.state;
    const base = unique('node');
    const image = `${unique('gone')}-v1`;
    await provisioner.load({ node: { name: base }, image: lab.image });
    await provisioner.capture({ node: { name: base }, image, skipPreCapture: true });
    await provisioner.unload({ node: { name: base } });
    const before = await inventoryNames(provisioner);
    const driver = provisioner.driver as VimDriver;
    const template = (await driver.api.findByPath(`${lab.datacenter.slice(1)}/vm/${lab.imagesFolder ? `${lab.imagesFolder}/` : ''}${image}`))!;
    const createNode = driver.createNode.bind(driver);
    // Another client deletes the template right after provkit found it.
    driver.createNode = async (request, options) => {
      await driver.api.runTask(requests.destroyTask(template));
      return createNode(request, options);
    };
    let failure: unknown;
    try {
      failure = await provisioner.load({ node: { name: unique('node') }, image }).catch((error: unknown) => error);
    } finally {
      driver.createNode = createNode;
    }
    expect(failure).toBeInstanceOf(ImageNotFoundError);
    expect(await inventoryNames(provisioner)).toEqual(before.filter((name) => name !== image));
    expect(await provisioner.doesImageExist({ image })).toBe(false);
  });
});

/** The root resource pool of the datacenter's first compute resource (where provkit places nodes by default). */
async function firstResourcePool(provisioner: EsxProvisioner, datacenter: string): Promise<MoRef> {
  const api = (provisioner.driver as VimDriver).api;
  const [compute] = await api.viewObjects((await api.findByPath(datacenter))!, 'ComputeResource', ['resourcePool']);
  const pool = parseMoRef(compute?.props['resourcePool']);
  if (pool === undefined) throw new Error(`no resource pool in ${datacenter}`);
  return pool;
}
