import { AbortedError, createEmitter, RemoteFaultError, Secret, waitFor, type CommandEvent } from '@provkit/core';
import { ensureLabService, type VcsimLabState } from '@provkit/lab';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as vim25 from '../src/translation/vim-requests.ts';
import { VSphereApi } from '../src/vsphere/vsphere-api.ts';
import { VimClient, type VimRequestEvent } from '../src/wire/vim-client.ts';

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

  it('keeps an idle session alive with CurrentTime, and the session stays usable', async () => {
    const client = new VimClient({ url: lab.url, username: lab.username, password: Secret.of(lab.password), tls: { thumbprint: lab.thumbprintSha256 }, keepAliveIntervalMs: 100 });
    clients.push(client);
    const methods: string[] = [];
    client.onRequest((event) => methods.push(event.method));
    await client.login();
    await waitFor({
      what: 'two keep-alive CurrentTime calls on the idle session',
      timeoutMs: 10_000,
      poll: async () => (methods.filter((method) => method === 'CurrentTime').length >= 2 ? { done: true, value: undefined } : { done: false, state: methods.join(', ') }),
    });
    expect(methods.filter((method) => method === 'Login')).toHaveLength(1);
    const api = new VSphereApi(client);
    expect((await api.findByPath(lab.datacenter.slice(1)))?.type).toBe('Datacenter');
    expect(methods.filter((method) => method === 'Login')).toHaveLength(1);
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

  const templatePath = () => `${lab.datacenter.slice(1)}/vm/${lab.imagesFolder ? `${lab.imagesFolder}/` : ''}${lab.image}`;

  it('drops pooled collectors of a lost session: the next wait makes one on the new session, nothing faults on the old one', async () => {
    const client = newClient();
    const api = new VSphereApi(client);
    const template = (await api.findByPath(templatePath()))!;
    const off = { what: 'the template to be off', timeoutMs: 30_000, context: { node: lab.image } };
    // A template is off: the wait ends on its first poll and its collector goes back to the pool.
    await api.waitForPowerState(template, 'poweredOff', off);
    const content = await client.serviceContent();
    // Ends the session behind the client's back (as a server restart or idle timeout would).
    await client.call(vim25.logout(content.sessionManager));
    const sent: VimRequestEvent[] = [];
    client.onRequest((event) => sent.push(event));
    await api.waitForPowerState(template, 'poweredOff', off);
    await api.waitForPowerState(template, 'poweredOff', off);
    expect(sent.map((event) => `${event.method}${event.error ? ` ! ${event.error.split(':')[0]}` : ''}`)).toEqual([
      'CreateFilter ! NotAuthenticated', // on the pooled collector of the lost session, not re-sent after the login
      'Login',
      'CreatePropertyCollector',
      'CreateFilter',
      'WaitForUpdatesEx',
      'DestroyPropertyFilter',
      // The new session's collector is the one pooled now.
      'CreateFilter',
      'WaitForUpdatesEx',
      'DestroyPropertyFilter',
    ]);
    expect(client.sessionGeneration).toBe(1);
  });

  it('goes on with a new collector when the session is lost between two polls of a wait', async () => {
    // One long poll at a time, so the logout below runs between the wait's two polls.
    const client = new VimClient({ url: lab.url, username: lab.username, password: Secret.of(lab.password), tls: { thumbprint: lab.thumbprintSha256 }, maxConcurrentWaits: 1 });
    clients.push(client);
    const api = new VSphereApi(client);
    const template = (await api.findByPath(templatePath()))!;
    const content = await client.serviceContent();
    const sent: VimRequestEvent[] = [];
    client.onRequest((event) => sent.push(event));
    let checks = 0;
    let loggedOut: Promise<unknown> | undefined;
    const result = await api.waitForProperties(
      template,
      ['runtime.powerState'],
      () => {
        if (++checks > 1) return 'seen again';
        // Takes the only long-poll slot now: the wait's next poll is sent after the session ended.
        loggedOut = client.longPoll(() => client.call(vim25.logout(content.sessionManager)));
        return undefined;
      },
      { what: 'the template state after a lost session', timeoutMs: 30_000, context: { node: lab.image } },
    );
    await loggedOut;
    expect(result).toBe('seen again');
    const collectors = sent.filter((event) => event.method === 'CreatePropertyCollector').map((event) => event.error);
    expect(collectors).toEqual([undefined, undefined]);
    const polls = sent.filter((event) => event.method === 'WaitForUpdatesEx').map((event) => `${event.object.value}${event.error ? ` ! ${event.error.split(':')[0]}` : ''}`);
    const [first, second] = sent.filter((event) => event.method === 'CreateFilter').map((event) => event.object.value);
    expect(first).not.toBe(second);
    // The poll on the lost session's collector is not re-sent on the new session (it would fault ManagedObjectNotFound).
    expect(polls).toEqual([first, `${first} ! NotAuthenticated`, second]);
    expect(sent.filter((event) => event.method === 'Login')).toHaveLength(1);
  });

  it('reports each request of an API with events as a command event: method and object, exit code 0, or null with the fault', async () => {
    const client = newClient();
    const events = createEmitter();
    const commands: CommandEvent[] = [];
    events.on('command', (event) => commands.push(event));
    const api = new VSphereApi(client, { events });
    await api.findByPath(templatePath());
    await expect(api.invoke(vim25.powerOnVmTask({ type: 'VirtualMachine', value: 'vm-missing' }))).rejects.toBeInstanceOf(RemoteFaultError);
    const target = `${lab.username}@${new URL(lab.url).host}`;
    expect(commands.map(({ durationMs, ...rest }) => (expect(durationMs).toBeGreaterThanOrEqual(0), rest))).toEqual([
      { target, command: 'RetrieveServiceContent ServiceInstance:ServiceInstance', exitCode: 0 },
      { target, command: expect.stringMatching(/^Login SessionManager:\S+$/), exitCode: 0 },
      { target, command: expect.stringMatching(/^FindByInventoryPath SearchIndex:\S+$/), exitCode: 0 },
      { target, command: 'PowerOnVM_Task VirtualMachine:vm-missing', exitCode: null, error: expect.stringMatching(/^ManagedObjectNotFound: /) },
    ]);
    expect(JSON.stringify(commands)).not.toContain(lab.password);
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
