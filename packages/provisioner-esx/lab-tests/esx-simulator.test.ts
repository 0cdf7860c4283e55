import {
  TlsVerificationFailedError,
  ImageExistsError,
  ImageInUseError,
  ImageNotFoundError,
  InvalidInputError,
  NodeExistsError,
  NodeNotManagedError,
  OperationFailedError,
  Secret,
  TimeoutError,
  type CommandEvent,
  type ProgressEvent,
} from '@provkit/core';
import { ensureLabService, type VcsimLabState } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsxProvisioner } from '../src/index.ts';
import { VimClient } from '../src/wire/vim-client.ts';
import type { VimDriver } from '../src/vsphere/vim-driver.ts';
import { decodeExtraConfig, decodeString } from '../src/translation/vim-responses.ts';
import { inventoryNames, provisionerFor, SIMULATORS, unique } from './test-support/simulator.ts';

describe.each(SIMULATORS)('EsxProvisioner (vSphere API) against the simulator %s', (service) => {
  let lab: VcsimLabState;
  let provisioner: EsxProvisioner;

  beforeAll(async () => {
    lab = await ensureLabService<VcsimLabState>(service);
    provisioner = provisionerFor(lab);
  });
  afterAll(async () => {
    await provisioner?.close();
  });

  it('loads, reports status, captures, loads from the capture and unloads, leaving the inventory as it was', async () => {
    const before = await inventoryNames(provisioner);
    const first = unique('node');
    const second = unique('node');
    const image = `${unique('cap')}-v1`;
    const steps: string[] = [];
    const loaded = await provisioner.load({ node: { name: first }, image: lab.image, size: { cpus: 2, memoryBytes: 512 * 1024 * 1024 }, onProgress: (event: ProgressEvent) => steps.push(event.step) });
    expect(loaded).toMatchObject({ node: first, image: lab.image, address: { host: '127.0.0.1', port: 22 } });
    expect(steps).toEqual(['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'load-done']);

    const api = (provisioner.driver as VimDriver).api;
    const ref = await api.findByPath(`${lab.datacenter.slice(1)}/vm/${first}`);
    const hardware = await api.properties(ref!, ['config.hardware.numCPU', 'config.hardware.memoryMB', 'config.extraConfig']);
    expect(decodeString(hardware['config.hardware.numCPU'])).toBe('2');
    expect(decodeString(hardware['config.hardware.memoryMB'])).toBe('512');
    expect(decodeExtraConfig(hardware['config.extraConfig'])).toMatchObject({ 'provkit.image': lab.image, 'provkit.diskMode': 'linked' });

    const status = await provisioner.nodeStatus({ node: { name: first }, image: lab.image });
    expect(status).toMatchObject({ status: 'reload', power: 'on', ssh: false, currentImage: lab.image });
    expect(status.detail).toContain('no OS module');
    expect(await provisioner.getCurrentImage({ node: { name: first } })).toBe(lab.image);

    // The simulator has no guest to generalize: an ungeneralized copy, asked for explicitly.
    const captured = await provisioner.capture({ node: { name: first }, image, skipPreCapture: true });
    expect(captured.image).toBe(image);
    expect(await provisioner.powerStatus({ node: { name: first } })).toBe('off');
    const template = await api.findByPath(`${lab.datacenter.slice(1)}/vm/${lab.imagesFolder ? `${lab.imagesFolder}/` : ''}${image}`);
    const files = await api.files(template!);
    expect(captured.sizeBytes).toBe(files.reduce((sum, file) => sum + file.size, 0));
    expect(captured.virtualBytes).toBeGreaterThan(0);
    expect(await provisioner.doesImageExist({ image })).toBe(true);
    expect((await provisioner.listImages()).map((entry) => entry.name)).toEqual(expect.arrayContaining([lab.image, image]));
    expect(await provisioner.getImageSize({ image })).toEqual({ virtualBytes: captured.virtualBytes, allocatedBytes: captured.sizeBytes });
    // No temporary copy is left beside the image.
    expect((await inventoryNames(provisioner)).filter((name) => name.includes('~'))).toEqual([]);
    await expect(provisioner.capture({ node: { name: first }, image, skipPreCapture: true })).rejects.toBeInstanceOf(ImageExistsError);
    // Without skipPreCapture and without an OS module, nothing is captured: no silent ungeneralized image.
    await expect(provisioner.capture({ node: { name: first }, image: `${unique('cap')}-v1` })).rejects.toMatchObject({ name: 'InvalidInputError', field: 'osModule' });

    await provisioner.load({ node: { name: second }, image });
    expect(await provisioner.powerStatus({ node: { name: second } })).toBe('on');

    // The batch answers as nodeStatus does per node, from one property retrieval.
    const batchNodes = [{ name: first }, { name: second }, { name: unique('absent') }];
    const one = await Promise.all(batchNodes.map((node) => provisioner.nodeStatus({ node, image })));
    const requests: CommandEvent[] = [];
    const record = (event: CommandEvent): void => void requests.push(event);
    provisioner.events.on('command', record);
    const batch = await provisioner.nodeStatuses({ nodes: batchNodes, image });
    provisioner.events.off('command', record);
    expect(batch).toEqual(batchNodes.map((node, index) => ({ node: node.name, status: one[index] })));
    expect(batch.map((entry) => [entry.status.status, entry.status.power])).toEqual([['reload', 'off'], ['reload', 'on'], ['reload', 'off']]);
    expect(requests.map((event) => event.command.split(' ')[0])).toEqual(['RetrievePropertiesEx']);
    await expect(provisioner.deleteImage({ image })).rejects.toBeInstanceOf(ImageInUseError);

    await provisioner.unload({ node: { name: first } });
    await provisioner.unload({ node: { name: second } });
    await provisioner.unload({ node: { name: second } });
    expect(await provisioner.deleteImage({ image })).toEqual({ deleted: true });
    expect(await provisioner.doesImageExist({ image })).toBe(false);
    expect(await provisioner.deleteImage({ image })).toEqual({ deleted: false }); // idempotent
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('power operations follow the node: graceful off through Tools, on, reset', async () => {
    const name = unique('node');
    await provisioner.load({ node: { name }, image: lab.image });
    try {
      await provisioner.powerOff({ node: { name }, mode: 'graceful', timeoutMs: 30_000 });
      expect(await provisioner.powerStatus({ node: { name } })).toBe('off');
      await provisioner.powerOn({ node: { name } });
      expect(await provisioner.powerStatus({ node: { name } })).toBe('on');
      await provisioner.powerReset({ node: { name } });
      expect(await provisioner.powerStatus({ node: { name } })).toBe('on');
      await provisioner.powerOff({ node: { name }, mode: 'hard' });
      expect(await provisioner.powerStatus({ node: { name } })).toBe('off');
    } finally {
      await provisioner.unload({ node: { name } });
    }
  });

  it('replaces a node provkit made on a load of its name (node-replaced), or refuses with NodeExistsError on ifExists refuse, leaving it untouched', async () => {
    const name = unique('node');
    const api = (provisioner.driver as VimDriver).api;
    const refOf = async () => (await api.findByPath(`${lab.datacenter.slice(1)}/vm/${name}`))?.value;
    await provisioner.load({ node: { name }, image: lab.image });
    try {
      const before = await inventoryNames(provisioner);
      const oldRef = await refOf();
      await expect(provisioner.load({ node: { name }, image: lab.image, ifExists: 'refuse' })).rejects.toBeInstanceOf(NodeExistsError);
      expect(await provisioner.powerStatus({ node: { name } })).toBe('on');
      expect(await inventoryNames(provisioner)).toEqual(before);
      expect(await refOf()).toBe(oldRef);

      const steps: string[] = [];
      await provisioner.load({ node: { name }, image: lab.image, onProgress: (event: ProgressEvent) => steps.push(event.step) });
      expect(steps).toEqual(['started', 'node-replaced', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'load-done']);
      // A new VM under the same name: the old one was destroyed, not reused.
      expect(await refOf()).not.toBe(oldRef);
      expect(await inventoryNames(provisioner)).toEqual(before);
      expect(await provisioner.powerStatus({ node: { name } })).toBe('on');
    } finally {
      await provisioner.unload({ node: { name } });
    }
  });

  it("never touches a VM provkit did not make (the simulator's own): load and unload refuse with NodeNotManagedError", async () => {
    const api = (provisioner.driver as VimDriver).api;
    // The simulator's model VMs carry no provkit marker: someone else's VMs, as on a real host.
    let theirs: string | undefined;
    for (const name of await inventoryNames(provisioner)) {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/.test(name)) continue;
      const facts = await provisioner.driver.nodeFacts(name);
      if (facts && !facts.isTemplate && !facts.managed) {
        theirs = name;
        break;
      }
    }
    expect(theirs, 'the simulator model has a VM of its own in the nodes folder').toBeDefined();
    const ref = await api.findByPath(`${lab.datacenter.slice(1)}/vm/${theirs}`);
    const look = async () => api.properties(ref!, ['runtime.powerState', 'config.extraConfig', 'config.hardware.numCPU']);
    const before = { inventory: await inventoryNames(provisioner), props: JSON.stringify(await look()) };
    const client = api.client;
    const methods: string[] = [];
    const stop = client.onRequest((event) => methods.push(event.method));
    try {
      for (const ifExists of ['replace', 'refuse'] as const) {
        await expect(provisioner.load({ node: { name: theirs! }, image: lab.image, ifExists })).rejects.toSatisfy((error: unknown) => error instanceof NodeNotManagedError && error.node === theirs);
      }
      await expect(provisioner.unload({ node: { name: theirs! } })).rejects.toBeInstanceOf(NodeNotManagedError);
    } finally {
      stop();
    }
    // Only reads reached the endpoint: no clone, power, reconfigure or destroy.
    expect(methods.filter((method) => /Task$|ShutdownGuest/.test(method))).toEqual([]);
    expect({ inventory: await inventoryNames(provisioner), props: JSON.stringify(await look()) }).toEqual(before);
  });

  it('raises ImageNotFoundError for a missing template and creates nothing', async () => {
    const before = await inventoryNames(provisioner);
    const name = unique('node');
    await expect(provisioner.load({ node: { name }, image: `${unique('missing')}-v1` })).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('destroys the clone when a later load step fails (Tools wait timing out)', async () => {
    const before = await inventoryNames(provisioner);
    const impatient = provisionerFor(lab, { toolsTimeoutMs: 1 });
    const name = unique('node');
    try {
      const failure = await impatient.load({ node: { name }, image: lab.image }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OperationFailedError);
      expect((failure as OperationFailedError).step).toBe('wait-for-tools');
      expect((failure as OperationFailedError).cause).toBeInstanceOf(TimeoutError);
      expect((failure as OperationFailedError).cleanupError).toBeUndefined();
    } finally {
      await impatient.close();
    }
    expect(await inventoryNames(provisioner)).toEqual(before);
  });

  it('shares one vSphere session between provisioners of the same endpoint, logging out after the last one', async () => {
    const first = provisionerFor(lab);
    const second = provisionerFor(lab);
    const client = (first.driver as VimDriver).api.client;
    expect((second.driver as VimDriver).api.client).toBe(client);
    expect((provisioner.driver as VimDriver).api.client).toBe(client);
    const logins: string[] = [];
    const stop = client.onRequest((event) => event.method === 'Login' && logins.push(event.method));
    await first.listImages();
    await first.close();
    await second.listImages();
    await second.close();
    stop();
    expect(logins).toEqual([]);
    // The suite's own provisioner still holds the session.
    expect((await provisioner.listImages()).map((image) => image.name)).toContain(lab.image);
  });

  it('makes each SOAP request of a load and unload a command event on its own events, never with the password or session cookie', async () => {
    // Pinned by thumbprint: a session of its own, so its login is among its requests.
    const observed = new EsxProvisioner({
      api: { url: lab.url, username: lab.username, password: Secret.of(lab.password), tls: { thumbprint: lab.thumbprintSha256 }, datacenter: lab.datacenter, ...(lab.imagesFolder ? { imagesFolder: lab.imagesFolder } : {}) },
    });
    const client = (observed.driver as VimDriver).api.client;
    expect(client).not.toBe((provisioner.driver as VimDriver).api.client);
    const commands: CommandEvent[] = [];
    const others: CommandEvent[] = [];
    observed.events.on('command', (event) => commands.push(event));
    provisioner.events.on('command', (event) => others.push(event));
    const sent = client.requestCount;
    const name = unique('node');
    try {
      await observed.load({ node: { name }, image: lab.image });
      await observed.unload({ node: { name } });
    } finally {
      await observed.close();
    }
    const target = `${lab.username}@${new URL(lab.url).host}`;
    expect(commands.every((event) => event.target === target && event.durationMs >= 0)).toBe(true);
    // One event a request, the logout included.
    expect(commands).toHaveLength(client.requestCount - sent);
    const methods = commands.map((event) => event.command.split(' ')[0]);
    for (const method of ['Login', 'CloneVM_Task', 'PowerOnVM_Task', 'WaitForUpdatesEx', 'PowerOffVM_Task', 'Destroy_Task', 'Logout']) expect(methods).toContain(method);
    const clone = commands.find((event) => event.command.startsWith('CloneVM_Task '));
    expect(clone).toMatchObject({ command: expect.stringMatching(/^CloneVM_Task VirtualMachine:\S+$/), exitCode: 0 });
    expect(clone).not.toHaveProperty('error');
    const text = JSON.stringify(commands);
    expect(text).not.toContain(lab.password);
    expect(text).not.toContain('vmware_soap_session');
    // The suite's provisioner, on another session of the same endpoint, saw none of them.
    expect(others).toEqual([]);
  });

  it('refuses bad input before sending a single request', async () => {
    const client = (provisioner.driver as VimDriver).api.client;
    const sent = client.requestCount;
    await expect(provisioner.load({ node: { name: 'bad name;reboot' }, image: lab.image })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(provisioner.load({ node: { name: 'ok' }, image: 'no-revision' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(provisioner.load({ node: { name: 'ok' }, image: lab.image, size: { cpus: 0, memoryBytes: 1 } })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(provisioner.capture({ node: { name: 'ok' }, image: '../x-v1' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(client.requestCount).toBe(sent);
  });

  it('verifies TLS: refuses a wrong thumbprint and an untrusted certificate, accepts the pinned SHA-1/SHA-256 and the CA file', async () => {
    const connect = async (tls: ConstructorParameters<typeof VimClient>[0]['tls']) => {
      const client = new VimClient({ url: lab.url, username: lab.username, password: Secret.of(lab.password), ...(tls ? { tls } : {}) });
      try {
        return (await client.serviceContent()).about.apiType;
      } finally {
        await client.close();
      }
    };
    const wrong = lab.thumbprintSha1.split(':').reverse().join(':');
    await expect(connect({ thumbprint: wrong })).rejects.toBeInstanceOf(TlsVerificationFailedError);
    await expect(connect(undefined)).rejects.toBeInstanceOf(TlsVerificationFailedError);
    const expected = lab.mode === 'vpx' ? 'VirtualCenter' : 'HostAgent';
    expect(await connect({ thumbprint: lab.thumbprintSha1 })).toBe(expected);
    expect(await connect({ thumbprint: lab.thumbprintSha256.toLowerCase() })).toBe(expected);
    expect(await connect({ caFile: lab.caPath })).toBe(expected);
  });

  it('never sends the login password before the certificate is verified', async () => {
    const client = new VimClient({ url: lab.url, username: lab.username, password: Secret.of(lab.password), tls: { thumbprint: '00'.repeat(32) } });
    try {
      await expect(client.login()).rejects.toBeInstanceOf(TlsVerificationFailedError);
      // Requests are counted when attempted; none got a response (no status).
      const statuses: Array<number | undefined> = [];
      client.onRequest((event) => statuses.push(event.status));
      await expect(client.login()).rejects.toBeInstanceOf(TlsVerificationFailedError);
      expect(statuses).toEqual([undefined]);
    } finally {
      await client.close();
    }
  });
});
