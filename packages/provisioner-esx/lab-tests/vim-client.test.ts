import { AbortedError, RemoteFaultError, Secret } from '@provkit/core';
import { ensureLabService, type VcsimLabState } from '@provkit/lab';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VimClient, VSphereApi, vim25 } from '../src/index.ts';

describe.each(['vcsim-esx', 'vcsim-vpx'] as const)('VimClient against the simulator %s', (service) => {
  let lab: VcsimLabState;
  const clients: VimClient[] = [];
  const newClient = (maxConcurrentRequests = 4) => {
    const client = new VimClient({ url: lab.url, username: lab.username, password: Secret.of(lab.password), tls: { thumbprint: lab.thumbprintSha256 }, maxConcurrentRequests });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    lab = await ensureLabService<VcsimLabState>(service);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it('logs in once and reuses the session and a few kept-alive connections for many concurrent calls', async () => {
    const client = newClient(4);
    const methods: string[] = [];
    client.onRequest((event) => methods.push(event.method));
    const api = new VSphereApi(client);
    const datacenter = lab.datacenter.slice(1);
    const found = await Promise.all(Array.from({ length: 24 }, () => api.findByPath(datacenter)));
    expect(found.every((ref) => ref?.type === 'Datacenter')).toBe(true);
    expect(methods.filter((method) => method === 'Login')).toHaveLength(1);
    expect(methods.filter((method) => method === 'FindByInventoryPath')).toHaveLength(24);
    expect(client.requestCount).toBe(26);
    // Bounded at 4 requests in flight: never more connections than that (plus none for waits here).
    expect(client.connectionCount).toBeGreaterThanOrEqual(1);
    expect(client.connectionCount).toBeLessThanOrEqual(4);
  });

  it('logs in again, once, when the server has forgotten the session', async () => {
    const client = newClient();
    const api = new VSphereApi(client);
    await client.login();
    const content = await client.serviceContent();
    // Ends the session behind the client's back (as a server restart or idle timeout would).
    await client.call(vim25.logout(content.sessionManager));
    const logins: string[] = [];
    client.onRequest((event) => event.method === 'Login' && logins.push(event.method));
    expect(await api.findByPath(lab.datacenter.slice(1))).toMatchObject({ type: 'Datacenter' });
    expect(logins).toHaveLength(1);
  });

  it('maps a fault of a method on a missing object to a typed error naming the vim25 fault', async () => {
    const client = newClient();
    const error = await client.call(vim25.powerOnVmTask({ type: 'VirtualMachine', value: 'vm-missing' })).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(RemoteFaultError);
    expect((error as RemoteFaultError).fault).toBe('ManagedObjectNotFound');
  });

  it('stops a WaitForUpdatesEx wait when its signal fires, with AbortedError', async () => {
    const client = newClient();
    const api = new VSphereApi(client);
    const template = await api.findByPath(`${lab.datacenter.slice(1)}/vm/${lab.imagesFolder ? `${lab.imagesFolder}/` : ''}${lab.image}`);
    const controller = new AbortController();
    const started = Date.now();
    // A template never powers on: only the signal can end this wait.
    const waiting = api.waitForPowerState(template!, 'poweredOn', { what: 'a template to power on', timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
