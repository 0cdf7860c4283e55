/**
 * Property test over the whole public surface: for every parameter of every public operation
 * of every module, fast-check generates hostile values (names, paths, sizes, addresses,
 * XML/LDAP/PowerShell/shell specials, unicode controls, huge strings, wrong JavaScript types,
 * null, prototype keys) and the operation must refuse with InvalidInputError before any
 * command, request or inventory access: recording runners, a counting TCP listener standing in
 * for the vSphere and LDAP endpoints, and a counting inventory record every attempt.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ProvkitError, Secret } from '@provkit/core';
import { LeanProvisioning, MemoryInventory, createProfile, type Inventory } from '@provkit/lean-provisioning';
import { LdapInventory } from '@provkit/inventory-ldap';
import { LinuxOsModule } from '@provkit/os-linux';
import { WindowsOsModule } from '@provkit/os-windows';
import { EsxProvisioner } from '@provkit/provisioner-esx';
import { KvmProvisioner } from '@provkit/provisioner-kvm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badCustomization,
  badEnum,
  badHost,
  badImage,
  badIp,
  badList,
  badName,
  badNode,
  badOptions,
  badPassword,
  badPath,
  badSignal,
  badSize,
  badTimeout,
  recordingRunner,
  wrongType,
} from '../test-support/hostile-values.ts';

/** One parameter of one operation: how to call it with a hostile value in that place. */
interface Case {
  operation: string;
  parameter: string;
  values: fc.Arbitrary<unknown>;
  call: (value: unknown) => Promise<unknown>;
}

/** A module under test: its cases, how many attempts it recorded, and a valid call per operation. */
interface Surface {
  cases: Case[];
  attempts: () => number;
  reset: () => void;
  /** Each operation called with valid input, to show the recorder does see its attempts. */
  baseline: Record<string, () => Promise<unknown>>;
}

/** Builds the cases of one operation: `valid` options, and an arbitrary per parameter (`options` replaces the whole object). */
function operation(name: string, invoke: (options: unknown) => Promise<unknown>, valid: () => Record<string, unknown>, parameters: Record<string, fc.Arbitrary<unknown>>): Case[] {
  const cases: Case[] = [{ operation: name, parameter: 'options', values: badOptions(), call: (value) => invoke(value) }];
  for (const [parameter, values] of Object.entries(parameters)) cases.push({ operation: name, parameter, values, call: (value) => invoke({ ...valid(), [parameter]: value }) });
  cases.push({ operation: name, parameter: 'signal', values: badSignal(), call: (value) => invoke({ ...valid(), signal: value }) });
  return cases;
}

const node = { name: 'web-1', address: { host: '192.0.2.10', port: 22 } };
const quick = () => ({ signal: AbortSignal.timeout(5_000) });

/**
 * A TCP listener that only counts connections: any vSphere or LDAP request would need one.
 * With a `greeting` it sends that line first (an SSH identification line stands for a guest
 * whose sshd is up, so a wait that probes for the banner goes on to log in).
 */
class CountingListener {
  connections = 0;
  readonly #sockets: Socket[] = [];
  readonly #greeting: string | undefined;
  readonly #server: Server = createServer((socket) => {
    this.connections++;
    this.#sockets.push(socket);
    if (this.#greeting === undefined) socket.destroy();
    else socket.end(this.#greeting);
  });
  constructor(greeting?: string) {
    this.#greeting = greeting;
  }
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

function osModuleCases(module: LinuxOsModule | WindowsOsModule, prefix: string): Case[] {
  const m = module as LinuxOsModule;
  const timed = () => ({ node, timeoutMs: 50, ...quick() });
  return [
    // A node whose port answers with an SSH banner: waitForResponse probes for it before logging in.
    ...operation(`${prefix}.waitForResponse`, (o) => m.waitForResponse(o as never), () => ({ node: { name: 'web-1', address: { host: '127.0.0.1', port: bannerPort } }, timeoutMs: 2_000, ...quick() }), { node: badNode(), timeoutMs: badTimeout() }),
    ...operation(`${prefix}.postLoad`, (o) => m.postLoad(o as never), () => ({ node, image: 'base-v1', ...quick() }), { node: badNode(), image: badImage(), customization: badCustomization() }),
    ...operation(`${prefix}.preCapture`, (o) => m.preCapture(o as never), () => ({ node, timeoutMs: 50, ...quick() }), { node: badNode(), endState: badEnum(), operations: badList(), timeoutMs: badTimeout() }),
    ...operation(`${prefix}.createUser`, (o) => m.createUser(o as never), () => ({ node, username: 'alice', ...quick() }), { node: badNode(), username: badName(), password: badPassword(), sshPublicKeys: badList() }),
    ...operation(`${prefix}.deleteUser`, (o) => m.deleteUser(o as never), () => ({ node, username: 'alice', ...quick() }), { node: badNode(), username: badName() }),
    ...operation(`${prefix}.setPassword`, (o) => m.setPassword(o as never), () => ({ node, username: 'alice', password: Secret.of('Passw0rd-1'), ...quick() }), { node: badNode(), username: badName(), password: badPassword() }),
    ...operation(`${prefix}.randomizeAdminPasswords`, (o) => m.randomizeAdminPasswords(o as never), () => ({ node, ...quick() }), { node: badNode() }),
    ...operation(`${prefix}.grantAccess`, (o) => m.grantAccess(o as never), () => ({ node, remoteIp: '192.0.2.99', ports: [22], ...quick() }), { node: badNode(), remoteIp: badIp(), ports: badList() }),
    ...operation(`${prefix}.revokeAccess`, (o) => m.revokeAccess(o as never), () => ({ node, remoteIp: '192.0.2.99', ports: [22], ...quick() }), { node: badNode(), remoteIp: badIp(), ports: badList() }),
    ...operation(`${prefix}.readCurrentImage`, (o) => m.readCurrentImage(o as never), () => ({ node, ...quick() }), { node: badNode() }),
    ...operation(`${prefix}.writeCurrentImage`, (o) => m.writeCurrentImage(o as never), () => ({ node, info: { image: 'base-v1', properties: {}, postLoadDone: false }, ...quick() }), {
      node: badNode(),
      info: fc.oneof(wrongType(), badImage().map((image) => ({ image, properties: {}, postLoadDone: false })), fc.constantFrom<unknown>({ image: 'base-v1', properties: 'x' }, { image: 'base-v1', properties: { 'a b': 'x' } }, { image: 'base-v1', properties: { k: 'a\nb' } })),
    }),
    ...operation(`${prefix}.shutdown`, (o) => m.shutdown(o as never), timed, { node: badNode(), timeoutMs: badTimeout() }),
    ...operation(`${prefix}.reboot`, (o) => m.reboot(o as never), timed, { node: badNode(), timeoutMs: badTimeout() }),
  ];
}

function provisionerCases(provisioner: KvmProvisioner | EsxProvisioner, prefix: string, osModule: LinuxOsModule): Case[] {
  const p = provisioner as KvmProvisioner;
  const withNode = () => ({ node, ...quick() });
  const withImage = () => ({ image: 'base-v1', ...quick() });
  return [
    ...operation(`${prefix}.load`, (o) => p.load(o as never), () => ({ node, image: 'base-v1', osModule, bootTimeoutMs: 50, ...quick() }), {
      node: badNode(),
      image: badImage(),
      size: badSize(),
      diskMode: badEnum(),
      customization: badCustomization(),
      osModule: fc.oneof(wrongType(), fc.constantFrom<unknown>('linux', {}, { specificationVersion: 'v2' }, [])),
      bootTimeoutMs: badTimeout(),
      onProgress: fc.constantFrom<unknown>('log', 1, {}),
    }),
    ...operation(`${prefix}.capture`, (o) => p.capture(o as never), () => ({ node, image: 'base-v2', osModule, shutdownTimeoutMs: 50, ...quick() }), {
      node: badNode(),
      image: badImage(),
      endState: badEnum(),
      shutdownTimeoutMs: badTimeout(),
      osModule: fc.constantFrom<unknown>('windows', 1, {}),
    }),
    ...operation(`${prefix}.unload`, (o) => p.unload(o as never), withNode, { node: badNode() }),
    ...operation(`${prefix}.powerOn`, (o) => p.powerOn(o as never), withNode, { node: badNode() }),
    ...operation(`${prefix}.powerOff`, (o) => p.powerOff(o as never), () => ({ node, timeoutMs: 50, ...quick() }), { node: badNode(), mode: badEnum(), timeoutMs: badTimeout() }),
    ...operation(`${prefix}.powerReset`, (o) => p.powerReset(o as never), withNode, { node: badNode() }),
    ...operation(`${prefix}.powerStatus`, (o) => p.powerStatus(o as never), withNode, { node: badNode() }),
    ...operation(`${prefix}.nodeStatus`, (o) => p.nodeStatus(o as never), withNode, { node: badNode(), image: badImage(), sshTimeoutMs: badTimeout() }),
    ...operation(`${prefix}.getCurrentImage`, (o) => p.getCurrentImage(o as never), withNode, { node: badNode() }),
    ...operation(`${prefix}.getImageSize`, (o) => p.getImageSize(o as never), withImage, { image: badImage() }),
    ...operation(`${prefix}.doesImageExist`, (o) => p.doesImageExist(o as never), withImage, { image: badImage() }),
    ...operation(`${prefix}.listImages`, (o) => p.listImages(o as never), quick, { base: badName() }),
    ...operation(`${prefix}.deleteImage`, (o) => p.deleteImage(o as never), withImage, { image: badImage() }),
  ];
}

/** An inventory that counts every call (the workflow must not read or write before its checks). */
function countingInventory(counter: { calls: number }): Inventory {
  const inner = new MemoryInventory();
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counter.calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const UUID = '00000000-0000-4000-8000-000000000000';
const surfaces = new Map<string, () => Surface>();
const listeners: CountingListener[] = [];
let vspherePort = 0;
let ldapPort = 0;
let bannerPort = 0;

beforeAll(async () => {
  for (const _ of [0, 1]) listeners.push(new CountingListener());
  listeners.push(new CountingListener('SSH-2.0-OpenSSH_9.2p1\r\n'));
  vspherePort = await listeners[0]!.start();
  ldapPort = await listeners[1]!.start();
  bannerPort = await listeners[2]!.start();
});

afterAll(async () => {
  for (const listener of listeners) await listener.stop();
});

function linuxSurface(): Surface {
  const calls: string[] = [];
  const module = new LinuxOsModule({ runnerFor: () => recordingRunner(calls) });
  const cases = osModuleCases(module, 'linux');
  return { cases, attempts: () => calls.length, reset: () => (calls.length = 0), baseline: baselines(cases) };
}

function windowsSurface(): Surface {
  const calls: string[] = [];
  const module = new WindowsOsModule({ runnerFor: () => recordingRunner(calls), administratorPassword: Secret.of('Adm1n-Passw0rd'), waitTimeoutMs: 50, commandTimeoutMs: 50 });
  const cases = osModuleCases(module, 'windows');
  return { cases, attempts: () => calls.length, reset: () => (calls.length = 0), baseline: baselines(cases) };
}

function kvmSurface(): Surface {
  const calls: string[] = [];
  const osModule = new LinuxOsModule({ runnerFor: () => recordingRunner(calls) });
  const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/provkit/library', nodeDiskDir: '/srv/provkit/nodes' });
  const otherLibrary = new KvmProvisioner({ runner: recordingRunner(calls, 'root@other:22'), libraryDir: '/srv/provkit/library', nodeDiskDir: '/srv/provkit/nodes' });
  const cases = [
    ...provisionerCases(provisioner, 'kvm', osModule),
    ...operation('kvm.retrieveImage', (o) => provisioner.retrieveImage(o as never), () => ({ image: 'base-v1', from: otherLibrary, ...quick() }), { image: badImage(), from: fc.oneof(wrongType(), fc.constantFrom<unknown>('other-host', {}, osModule)) }),
    // Construction: hostile settings refused before anything runs.
    ...operation('kvm.constructor', async (o) => new KvmProvisioner(o as never), () => ({ runner: recordingRunner(calls), libraryDir: '/srv/provkit/library', nodeDiskDir: '/srv/provkit/nodes' }), {
      libraryDir: fc.oneof(badPath(), fc.constantFrom('/srv/provkit/nodes', '/srv/provkit', '/srv/provkit/nodes/lib')),
      nodeDiskDir: fc.oneof(badPath(), fc.constantFrom('/srv/provkit/library', '/srv/provkit/library/nodes', '/')),
      osModule: fc.constantFrom<unknown>('linux', 1, {}),
      defaultSize: badSize(),
      bootTimeoutMs: badTimeout(),
      network: fc.oneof(wrongType(), badName().map((bridge) => ({ kind: 'bridge', bridge }))),
    }),
  ].filter((entry) => !(entry.operation === 'kvm.constructor' && entry.parameter === 'signal'));
  return { cases, attempts: () => calls.length, reset: () => (calls.length = 0), baseline: baselines(cases.filter((entry) => entry.operation !== 'kvm.constructor')) };
}

function esxSshSurface(): Surface {
  const calls: string[] = [];
  const osModule = new LinuxOsModule({ runnerFor: () => recordingRunner(calls) });
  const provisioner = new EsxProvisioner({ ssh: { runner: recordingRunner(calls), datastore: 'datastore1' }, toolsTimeoutMs: 50, bootTimeoutMs: 50, shutdownTimeoutMs: 50 });
  const cases = provisionerCases(provisioner, 'esx-ssh', osModule);
  return { cases, attempts: () => calls.length, reset: () => (calls.length = 0), baseline: baselines(cases) };
}

function esxApiSurface(): Surface {
  const listener = listeners[0]!;
  const calls: string[] = [];
  const osModule = new LinuxOsModule({ runnerFor: () => recordingRunner(calls) });
  const provisioner = new EsxProvisioner({
    api: { url: `https://127.0.0.1:${vspherePort}/sdk`, username: 'provkit', password: Secret.of('vsphere-pw'), tls: { thumbprint: '44'.repeat(32) }, keepAliveIntervalMs: 0, requestTimeoutMs: 2_000 },
    toolsTimeoutMs: 50,
    bootTimeoutMs: 50,
    shutdownTimeoutMs: 50,
  });
  const cases = provisionerCases(provisioner, 'esx-api', osModule);
  return { cases, attempts: () => listener.connections + calls.length, reset: () => ((listener.connections = 0), (calls.length = 0)), baseline: baselines(cases) };
}

function ldapSurface(): Surface {
  const listener = listeners[1]!;
  const inventory = new LdapInventory({ url: `ldap://127.0.0.1:${ldapPort}`, bindDN: 'cn=admin,dc=example,dc=com', password: Secret.of('ldap-pw'), allowPlaintextBind: true, baseDN: 'dc=example,dc=com', timeoutMs: 2_000, connectTimeoutMs: 2_000 });
  const id = badName();
  const call = (invoke: (value: unknown) => Promise<unknown>, operationName: string, parameter: string, values: fc.Arbitrary<unknown>): Case => ({ operation: operationName, parameter, values, call: invoke });
  const template = { pool: UUID, node: 'kvm-1', profile: 'small', hardware: { cpus: 1, memoryBytes: 1 << 30, diskBytes: 1 << 30 }, os: { operatingSystem: 'Linux', type: 'Debian', version: '12' }, clockOffset: 'utc' };
  const vm = { template: UUID, pool: UUID, node: 'kvm-1', type: 'Server', reseller: 'r1', customer: 'c1' };
  const text = fc.oneof(wrongType(), fc.constantFrom<unknown>('', ' padded ', 'a\nb', 'x\u0000', 'x'.repeat(500), 42));
  const cases: Case[] = [
    call((v) => inventory.createPool(v as never), 'ldap.createPool', 'pool', fc.oneof(wrongType(), text.map((displayName) => ({ displayName, type: 'persistent' })), badName().map((type) => ({ displayName: 'web', type })))),
    call((v) => inventory.getPool(v as never), 'ldap.getPool', 'id', id),
    call((v) => inventory.listPools(v as never), 'ldap.listPools', 'options', badOptions()),
    call((v) => inventory.createTemplate(v as never), 'ldap.createTemplate', 'template', fc.oneof(wrongType(), badName().map((node) => ({ ...template, node })), id.map((pool) => ({ ...template, pool })), badSize().map((hardware) => ({ ...template, hardware })), text.map((version) => ({ ...template, os: { ...template.os, version } })))),
    call((v) => inventory.getTemplate(v as never), 'ldap.getTemplate', 'id', id),
    call((v) => inventory.listTemplates(v as never), 'ldap.listTemplates', 'options', fc.oneof(badOptions(), badEnum().map((mode) => ({ mode })))),
    call((v) => inventory.setTemplateMode(v as never, { from: 'first installation' as never, to: 'ready for use' as never }), 'ldap.setTemplateMode', 'id', id),
    call((v) => inventory.setTemplateMode(UUID, v as never), 'ldap.setTemplateMode', 'change', fc.oneof(badOptions(), badEnum().map((to) => ({ from: 'first installation', to })))),
    call((v) => inventory.setTemplateImage(v as never, 'base-v1'), 'ldap.setTemplateImage', 'id', id),
    call((v) => inventory.setTemplateImage(UUID, v as never), 'ldap.setTemplateImage', 'image', badImage()),
    call((v) => inventory.deleteTemplate(v as never), 'ldap.deleteTemplate', 'id', id),
    call((v) => inventory.createVm(v as never), 'ldap.createVm', 'vm', fc.oneof(wrongType(), id.map((t) => ({ ...vm, template: t })), text.map((customer) => ({ ...vm, customer })), badName().map((type) => ({ ...vm, type })))),
    call((v) => inventory.getVm(v as never), 'ldap.getVm', 'id', id),
    call((v) => inventory.listVms(v as never), 'ldap.listVms', 'options', fc.oneof(badOptions(), id.map((t) => ({ template: t })))),
    call((v) => inventory.setVmImage(v as never, 'base-v1'), 'ldap.setVmImage', 'id', id),
    call((v) => inventory.setVmImage(UUID, v as never), 'ldap.setVmImage', 'image', badImage()),
    call((v) => inventory.deleteVm(v as never), 'ldap.deleteVm', 'id', id),
    call((v) => inventory.getPool(UUID, v as never), 'ldap.getPool', 'options', badOptions()),
    call(async (v) => new LdapInventory(v as never), 'ldap.constructor', 'options', fc.oneof(
      badOptions(),
      fc.constantFrom<unknown>(
        { url: 'ldap://x', bindDN: 'cn=a', password: Secret.of('p'), allowPlaintextBind: true, baseDN: 'dc=a\u0000,dc=b' },
        { url: 'ldap://x', bindDN: 'cn=a', password: Secret.of('p'), allowPlaintextBind: true, baseDN: 'dc=a', timeoutMs: 'soon' },
        { url: 'ldap://x', bindDN: 'cn=a', password: 'plain', allowPlaintextBind: true, baseDN: 'dc=a' },
        { url: 'ldap://x', bindDN: 'cn=a', password: Secret.of('p'), baseDN: 'dc=a' },
        { url: 'ldap://x;rm', bindDN: 'cn=a', password: Secret.of('p'), allowPlaintextBind: true, baseDN: 'dc=a' },
      ),
      badName().map((baseDN) => ({ url: 'ldap://x', bindDN: 'cn=a', password: Secret.of('p'), allowPlaintextBind: true, baseDN: `dc=${String(baseDN)}\n` })),
    )),
  ];
  return {
    cases,
    attempts: () => listener.connections,
    reset: () => (listener.connections = 0),
    baseline: { 'ldap.getPool': () => inventory.getPool(UUID), 'ldap.listPools': () => inventory.listPools() },
  };
}

function workflowSurface(): Surface {
  const calls: string[] = [];
  const counter = { calls: 0 };
  const inventory = countingInventory(counter);
  const osModule = new LinuxOsModule({ runnerFor: () => recordingRunner(calls) });
  const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/provkit/library', nodeDiskDir: '/srv/provkit/nodes', osModule });
  const workflow = new LeanProvisioning({ inventory, provisioner, diskSize: 'base-image' });
  const profile = createProfile({ name: 'small', size: { name: 'small', cpus: 1, memoryBytes: 1 << 30, diskBytes: 1 << 34 }, os: { operatingSystem: 'Linux', type: 'Debian', version: '12' } });
  const machine = { name: 'web-1', address: { host: '192.0.2.10' } };
  const text = fc.oneof(wrongType(), fc.constantFrom<unknown>('', 'a\nb', 'x\u0000', 'x'.repeat(500)));
  const cases = [
    ...operation('workflow.createTemplate', (o) => workflow.createTemplate(o as never), () => ({ profile, pool: UUID, host: 'kvm-1', baseImage: 'base-v1', ...quick() }), {
      profile: fc.oneof(wrongType(), fc.constantFrom<unknown>({}, 'small', { ...profile, size: null }, { ...profile, name: 'a b' }, { ...profile, os: null })),
      pool: badName(),
      host: badName(),
      baseImage: badImage(),
      displayName: text,
    }),
    ...operation('workflow.installTemplate', (o) => workflow.installTemplate(o as never), () => ({ template: UUID, machine, baseImage: 'base-v1', ...quick() }), { template: badName(), machine: badNode(), baseImage: badImage() }),
    ...operation('workflow.captureTemplate', (o) => workflow.captureTemplate(o as never), () => ({ template: UUID, machine, image: 'base-v2', ...quick() }), { template: badName(), machine: badNode(), image: badImage(), keepMachine: fc.constantFrom<unknown>('yes', 1, null) }),
    ...operation('workflow.releaseTemplate', (o) => workflow.releaseTemplate(o as never), () => ({ template: UUID, ...quick() }), { template: badName() }),
    ...operation('workflow.deployVm', (o) => workflow.deployVm(o as never), () => ({ template: UUID, pool: UUID, host: 'kvm-1', machine, type: 'Server', reseller: 'r1', customer: 'c1', ...quick() }), {
      template: badName(),
      pool: badName(),
      host: badName(),
      machine: fc.oneof(badNode(), fc.constant({ name: 'web-2' })),
      customization: badCustomization().filter((value) => !(typeof value === 'object' && value !== null && 'hostname' in value && typeof (value as { hostname: unknown }).hostname === 'string' && (value as { hostname: string }).hostname !== '')),
      type: badName(),
      reseller: text,
      customer: text,
      displayName: text,
    }),
  ];
  return { cases, attempts: () => calls.length + counter.calls, reset: () => ((calls.length = 0), (counter.calls = 0)), baseline: baselines(cases) };
}

/** The valid call of each operation of a case list (its `options` case with the valid object). */
function baselines(cases: Case[]): Record<string, () => Promise<unknown>> {
  const out: Record<string, () => Promise<unknown>> = {};
  for (const entry of cases) {
    if (entry.parameter !== 'signal' || out[entry.operation]) continue;
    out[entry.operation] = () => entry.call(AbortSignal.timeout(5_000));
  }
  return out;
}

surfaces.set('kvm', kvmSurface);
surfaces.set('esx (vSphere API)', esxApiSurface);
surfaces.set('esx (vim-cmd over SSH)', esxSshSurface);
surfaces.set('os-linux', linuxSurface);
surfaces.set('os-windows', windowsSurface);
surfaces.set('inventory-ldap', ldapSurface);
surfaces.set('lean workflow', workflowSurface);

/** Generated cases per module (for the report: printed once at the end). */
const generated = new Map<string, number>();
afterAll(() => {
  console.info(`hostile-input cases per module: ${[...generated].map(([name, count]) => `${name} ${count}`).join(', ')}`);
});

const RUNS_PER_CASE = 25;

describe('every public operation refuses hostile input with InvalidInputError before any command, request or inventory access', () => {
  for (const [name, make] of surfaces) {
    it(`${name}`, async () => {
      const surface = make();
      // The recorder is not blind: valid input does reach it.
      for (const [operationName, call] of Object.entries(surface.baseline)) {
        if (operationName.endsWith('.forgetNode')) continue;
        surface.reset();
        await call().catch(() => undefined);
        expect(surface.attempts(), `${operationName} with valid input`).toBeGreaterThan(0);
      }
      let count = 0;
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: surface.cases.length - 1 }).chain((index) => surface.cases[index]!.values.map((value) => [`${surface.cases[index]!.operation} ${surface.cases[index]!.parameter}`, index, value] as const)), async ([, index, value]) => {
          const entry = surface.cases[index]!;
          count++;
          surface.reset();
          const error = await entry.call(value).then(
            () => undefined,
            (caught: unknown) => caught,
          );
          const where = `${entry.operation} ${entry.parameter}`;
          expect(ProvkitError.isInstance(error), `${where}: ${String(error)}`).toBe(true);
          expect((error as ProvkitError).code, `${where}: ${(error as Error).message}`).toBe('INVALID_INPUT');
          expect(surface.attempts(), where).toBe(0);
        }),
        { numRuns: surface.cases.length * RUNS_PER_CASE },
      );
      generated.set(name, count);
    }, 120_000);
  }
});
