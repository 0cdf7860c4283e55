/**
 * The whole load path with a real guest OS behind the simulator's VM: the node's address is
 * the lab's Debian root (its own sshd in its own namespaces), driven by @provkit/os-linux.
 * The simulator plays the hypervisor (clone, power, Tools), the Debian root plays the guest
 * (SSH, post-load, currentimage.txt), so nodeStatus can say `ready` for real.
 */
import { randomBytes } from 'node:crypto';
import { provisionerLifecycleSuite } from '@provkit/conformance';
import type { ProgressEvent } from '@provkit/core';
import { SshPool, sshRunnerFactory } from '@provkit/runners';
import { ensureLabService, resetDebianRoot, type DebianRootLabState, type VcsimLabState } from '@provkit/lab';
import { LinuxOsModule } from '@provkit/os-linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EsxProvisioner } from '../src/index.ts';
import { inventoryNames, provisionerFor, unique } from './test-support/simulator.ts';

let lab: VcsimLabState;
let guest: DebianRootLabState;
let pool: SshPool;
let osModule: LinuxOsModule;
const provisioners: EsxProvisioner[] = [];
let inventoryBefore: string[];

const guestNode = (name: string) => ({ name, address: { host: guest.host, port: guest.port } });
const withOsModule = () => {
  const provisioner = provisionerFor(lab, { osModule, bootTimeoutMs: 60_000 });
  provisioners.push(provisioner);
  return provisioner;
};

beforeAll(async () => {
  lab = await ensureLabService<VcsimLabState>('vcsim-vpx');
  guest = await resetDebianRoot();
  pool = new SshPool({ commandTimeoutMs: 120_000 });
  osModule = new LinuxOsModule({
    runnerFor: sshRunnerFactory(pool, { username: guest.username, privateKeyPath: guest.privateKeyPath, hostKey: { kind: 'known-hosts', path: guest.knownHostsPath } }),
  });
  inventoryBefore = await inventoryNames(withOsModule());
});
afterAll(async () => {
  await Promise.all(provisioners.map((provisioner) => provisioner.close()));
  await osModule?.close();
  await pool?.close();
});

describe('EsxProvisioner with a real guest OS (vCenter simulator + the lab Debian root over SSH)', () => {
  it('loads through SSH and post-load to a node nodeStatus calls ready, and unloads it', async () => {
    const provisioner = withOsModule();
    const before = await inventoryNames(provisioner);
    const node = guestNode(unique('guest'));
    const events: ProgressEvent[] = [];
    const loaded = await provisioner.load({ node, image: lab.image, onProgress: (event: ProgressEvent) => events.push(event) });
    expect(loaded.address).toEqual({ host: guest.host, port: guest.port });
    expect(events.filter((event) => event.operation === 'load').map((event) => event.step)).toEqual(['started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done']);
    // The OS module's post-load sub-steps reach the load's own onProgress.
    expect(events.some((event) => event.operation === 'postLoad')).toBe(true);
    expect(await provisioner.nodeStatus({ node, image: lab.image })).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: lab.image });
    // Another image wanted than the one loaded: reload.
    expect((await provisioner.nodeStatus({ node, image: 'other-v9' })).status).toBe('reload');
    await provisioner.unload({ node });
    expect(await inventoryNames(provisioner)).toEqual(before);
  });
});

provisionerLifecycleSuite({
  describe,
  it,
  createProvisioner: () => withOsModule(),
  get image() {
    return lab.image;
  },
  newNode: () => guestNode(`conf-${randomBytes(4).toString('hex')}`),
  newImageName: () => `conf-${randomBytes(4).toString('hex')}-v1`,
  get osModule() {
    return osModule;
  },
  loadTimeoutMs: 180_000,
});

// Runs after every test above (vitest keeps the order within a file): the conformance kit's
// loads, aborted loads and refusals left no VM in the simulator.
describe('after the lifecycle suites', () => {
  it('leaves the simulator inventory as it found it', async () => {
    expect(await inventoryNames(withOsModule())).toEqual(inventoryBefore);
  });
});
