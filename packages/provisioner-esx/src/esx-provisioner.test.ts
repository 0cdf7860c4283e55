import { createEmitter, ImageExistsError, InvalidInputError, NodeExistsError, NodeNotManagedError, type ImageInfo, type ImageSize, type ProgressEvent } from '@provkit/core';
import { describe, expect, it, vi } from 'vitest';
import { faultToError } from './translation/faults.ts';
import type { CreateNodeRequest, EsxDriver, EsxNodeFacts } from './esx-driver.ts';
import type { EsxProvisionerOptions } from './esx-options.ts';
import { EsxProvisioner } from './esx-provisioner.ts';

/** Resolves on the next turn of the event loop, so concurrent operations interleave as on a host. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * An in-memory back end (no host): every call yields to the event loop first, so a load and a
 * capture started together interleave their lock acquisitions as they would against a host.
 */
class FakeDriver implements EsxDriver {
  readonly kind = 'api' as const;
  readonly supportsLinkedClones = true;
  readonly images = new Map<string, ImageInfo>();
  readonly nodes = new Map<string, EsxNodeFacts>();
  async imageInfo(image: string): Promise<ImageInfo | undefined> {
    await tick();
    return this.images.get(image);
  }
  async listImages(): Promise<ImageInfo[]> {
    return [...this.images.values()];
  }
  async deleteImage(image: string): Promise<void> {
    this.images.delete(image);
  }
  async nodeFacts(node: string): Promise<EsxNodeFacts | undefined> {
    await tick();
    return this.nodes.get(node);
  }
  async createNode(request: CreateNodeRequest): Promise<void> {
    await tick();
    this.nodes.set(request.node, { power: 'off', isTemplate: false, toolsRunning: false, image: request.image, managed: true });
  }
  async resizeNode(): Promise<void> {}
  async destroyNode(node: string): Promise<boolean> {
    return this.nodes.delete(node);
  }
  async powerOn(node: string): Promise<void> {
    await tick();
    this.nodes.set(node, { ...this.nodes.get(node)!, power: 'on', toolsRunning: true, ipAddress: '192.0.2.7' });
  }
  async powerOff(node: string): Promise<void> {
    this.nodes.set(node, { ...this.nodes.get(node)!, power: 'off', toolsRunning: false });
  }
  async shutdownGuest(node: string): Promise<void> {
    await this.powerOff(node);
  }
  async reset(): Promise<void> {}
  async waitForGuest(): Promise<{ ipAddress: string }> {
    await tick();
    return { ipAddress: '192.0.2.7' };
  }
  async waitForPowerOff(): Promise<void> {
    await tick();
  }
  /** Absent unless a test gives one (the vSphere API back end's lease renewal). */
  renewLease?: NonNullable<EsxDriver['renewLease']>;
  async captureNode(_node: string, image: string): Promise<ImageSize> {
    await tick();
    const info: ImageInfo = { name: image, base: image.replace(/-v\d+$/, ''), revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 };
    this.images.set(image, info);
    return { virtualBytes: 10, allocatedBytes: 5 };
  }
  async close(): Promise<void> {}
}

function withFakeDriver(options: Partial<EsxProvisionerOptions> = {}): { provisioner: EsxProvisioner; driver: FakeDriver } {
  // Built on the ssh back end, whose constructor only listens to its runner's command events,
  // then given the in-memory one.
  const provisioner = new EsxProvisioner({ ...options, ssh: { runner: { target: 'in-memory', events: createEmitter() } as never, datastore: 'datastore1' } });
  const driver = new FakeDriver();
  (provisioner as unknown as { driver: EsxDriver }).driver = driver;
  return { provisioner, driver };
}

describe('EsxProvisioner locking and bounds (in-memory back end)', () => {
  it('a load and a capture of the same node and image, started together, both finish (no lock-order deadlock)', async () => {
    const { provisioner, driver } = withFakeDriver();
    driver.images.set('base-v1', { name: 'base-v1', base: 'base', revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 });
    // A deadlock would leave both waiting on each other's lock: the signal bounds that wait.
    const signal = AbortSignal.timeout(2_000);
    const load = provisioner.load({ node: { name: 'web-1' }, image: 'base-v1', signal });
    const capture = provisioner.capture({ node: { name: 'web-1' }, image: 'base-v1', skipPreCapture: true, signal });
    const [loaded, captured] = await Promise.allSettled([load, capture]);
    expect(loaded).toMatchObject({ status: 'fulfilled', value: { node: 'web-1', image: 'base-v1' } });
    // The image exists (it is the one loaded from): the capture is refused, not stuck.
    expect(captured.status).toBe('rejected');
    expect((captured as PromiseRejectedResult).reason).toBeInstanceOf(ImageExistsError);
  });

  it('captures and loads over shared nodes and images, started together, all settle', async () => {
    const { provisioner, driver } = withFakeDriver();
    driver.images.set('base-v1', { name: 'base-v1', base: 'base', revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 });
    driver.nodes.set('web-1', { power: 'off', isTemplate: false, toolsRunning: false, image: 'base-v1', managed: true });
    const signal = AbortSignal.timeout(2_000);
    const results = await Promise.all([
      provisioner.capture({ node: { name: 'web-1' }, image: 'base-v2', skipPreCapture: true, signal }),
      provisioner.load({ node: { name: 'web-1' }, image: 'base-v2', signal }).catch((error: unknown) => error),
      provisioner.load({ node: { name: 'web-2' }, image: 'base-v1', signal }),
    ]);
    expect(results[0]).toMatchObject({ image: 'base-v2' });
    expect(results[2]).toMatchObject({ node: 'web-2' });
  });

  it("leaves the OS module's preCapture bound to the module unless one is configured", async () => {
    const seen: Array<number | undefined> = [];
    const osModule = { specificationVersion: 'v1', postLoad: async () => {}, waitForResponse: async () => {}, preCapture: async (options: { timeoutMs?: number }) => void seen.push(options.timeoutMs) } as never;
    for (const [extra, providerOptions] of [[{}, undefined], [{ preCaptureTimeoutMs: 3_600_000 }, undefined], [{}, { esx: { preCaptureTimeoutMs: 60_000 } }]] as const) {
      const { provisioner, driver } = withFakeDriver({ osModule, shutdownTimeoutMs: 1_000, ...extra });
      driver.nodes.set('win-1', { power: 'on', isTemplate: false, toolsRunning: true, image: 'win-v1', managed: true });
      await provisioner.capture({ node: { name: 'win-1', address: { host: '192.0.2.7' } }, image: 'win-v2', ...(providerOptions ? { providerOptions } : {}) });
    }
    // Not the 1 s shutdown bound: nothing (the module's own 30 min for Sysprep), then the configured ones.
    expect(seen).toEqual([undefined, 3_600_000, 60_000]);
  });
});

describe('EsxProvisioner on an existing node, and no silent success (in-memory back end)', () => {
  const base: ImageInfo = { name: 'base-v1', base: 'base', revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 };

  it('replaces a VM provkit made (node-replaced), refuses it on ifExists refuse, and never touches a VM without the marker', async () => {
    const { provisioner, driver } = withFakeDriver();
    driver.images.set('base-v1', base);
    driver.nodes.set('mine', { power: 'on', isTemplate: false, toolsRunning: true, image: 'old-v3', managed: true });
    driver.nodes.set('theirs', { power: 'on', isTemplate: false, toolsRunning: true, managed: false });
    const theirs = driver.nodes.get('theirs');

    await expect(provisioner.load({ node: { name: 'mine' }, image: 'base-v1', ifExists: 'refuse' })).rejects.toBeInstanceOf(NodeExistsError);
    expect(driver.nodes.get('mine')).toMatchObject({ image: 'old-v3', power: 'on' });
    const steps: ProgressEvent[] = [];
    await provisioner.load({ node: { name: 'mine' }, image: 'base-v1', onProgress: (event) => steps.push(event) });
    expect(steps.map((event) => event.step)).toEqual(['started', 'node-replaced', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'load-done']);
    expect(driver.nodes.get('mine')).toMatchObject({ image: 'base-v1', power: 'on' });

    for (const ifExists of ['replace', 'refuse'] as const) {
      await expect(provisioner.load({ node: { name: 'theirs' }, image: 'base-v1', ifExists })).rejects.toSatisfy((error: unknown) => error instanceof NodeNotManagedError && error.node === 'theirs');
    }
    await expect(provisioner.unload({ node: { name: 'theirs' } })).rejects.toBeInstanceOf(NodeNotManagedError);
    expect(driver.nodes.get('theirs')).toBe(theirs);
  });

  it('unloads with the typed steps, and deletes a missing image as { deleted: false }', async () => {
    const { provisioner, driver } = withFakeDriver();
    driver.nodes.set('mine', { power: 'on', isTemplate: false, toolsRunning: true, image: 'base-v1', managed: true });
    const steps: string[] = [];
    provisioner.events.on('progress', (event) => steps.push(event.step));
    await provisioner.unload({ node: { name: 'mine' } });
    await provisioner.unload({ node: { name: 'mine' } });
    expect(steps).toEqual(['started', 'powered-off', 'node-removed', 'unload-done', 'started']);
    expect(driver.nodes.has('mine')).toBe(false);
    driver.images.set('base-v1', base);
    expect(await provisioner.deleteImage({ image: 'base-v1' })).toEqual({ deleted: true });
    expect(await provisioner.deleteImage({ image: 'base-v1' })).toEqual({ deleted: false });
  });

  it('refuses, before touching the host, a capture that cannot generalize and a load whose customization cannot be applied', async () => {
    const osModule = { specificationVersion: 'v1', postLoad: async () => {}, waitForResponse: async () => {}, preCapture: async () => ({ operations: [] }), checkCustomization: () => undefined } as never;
    const { provisioner, driver } = withFakeDriver();
    driver.images.set('base-v1', base);
    driver.nodes.set('web-1', { power: 'on', isTemplate: false, toolsRunning: true, image: 'base-v1', managed: true });
    const before = JSON.stringify([...driver.nodes, ...driver.images]);
    const customization = { hostname: 'web-1' };
    // Each call is made only when its refusal is awaited: a rejection made earlier would go
    // unhandled while the ones before it are awaited.
    const refusals: Array<[() => Promise<unknown>, string]> = [
      [() => provisioner.capture({ node: { name: 'web-1', address: { host: '192.0.2.7' } }, image: 'base-v2' }), 'osModule'],
      [() => provisioner.capture({ node: { name: 'web-1' }, image: 'base-v2', osModule }), 'node.address'],
      [() => provisioner.load({ node: { name: 'web-2', address: { host: '192.0.2.8' } }, image: 'base-v1', customization }), 'osModule'],
      [() => provisioner.load({ node: { name: 'web-2' }, image: 'base-v1', customization, osModule }), 'node.address'],
    ];
    for (const [refusal, field] of refusals) await expect(refusal()).rejects.toSatisfy((error: unknown) => error instanceof InvalidInputError && error.field === field);
    expect(JSON.stringify([...driver.nodes, ...driver.images])).toBe(before);
    // Asked for explicitly, the ungeneralized copy is made.
    expect(await provisioner.capture({ node: { name: 'web-1' }, image: 'base-v2', skipPreCapture: true })).toMatchObject({ image: 'base-v2' });
  });
});

/** Holds a load at its wait for the guest (after its clone: renewing its lease): `held` once there, `boot` lets it go on. */
function holdAtGuestWait(driver: FakeDriver): { held: Promise<void>; boot: () => void } {
  let boot!: () => void;
  let waiting!: () => void;
  const booted = new Promise<void>((resolve) => (boot = resolve));
  const held = new Promise<void>((resolve) => (waiting = resolve));
  driver.waitForGuest = async () => {
    waiting();
    await booted;
    return { ipAddress: '192.0.2.7' };
  };
  return { held, boot };
}

describe('EsxProvisioner lease renewal while a load runs (in-memory back end)', () => {
  it('a renewal that meets the VM busy with another task (TaskInProgress, as the load\'s own tasks cause on a vCenter) is retried within the lease, without a warning', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { provisioner, driver } = withFakeDriver({ leaseMs: 3000 });
      driver.images.set('base-v1', { name: 'base-v1', base: 'base', revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 });
      const renewals: string[] = [];
      driver.renewLease = async () => {
        renewals.push(renewals.length === 0 ? 'busy' : 'renewed');
        if (renewals.length === 1) throw faultToError({ type: 'TaskInProgress', message: 'Another task is already in progress.', detail: {} }, { method: 'ReconfigVM_Task', node: 'web-1' });
      };
      const { held, boot } = holdAtGuestWait(driver);
      const warnings: string[] = [];
      provisioner.events.on('warning', (warning) => warnings.push(warning.message));
      const load = provisioner.load({ node: { name: 'web-1' }, image: 'base-v1' });
      await held;
      // A third of the lease, then the busy retry half a second later.
      await vi.advanceTimersByTimeAsync(1000 + 500);
      expect(renewals).toEqual(['busy', 'renewed']);
      boot();
      await load;
      expect(warnings).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a renewal due while the load\'s own power-on task runs waits for it: never two tasks on the VM at once from this process', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { provisioner, driver } = withFakeDriver({ leaseMs: 3000 });
      driver.images.set('base-v1', { name: 'base-v1', base: 'base', revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 });
      const log: string[] = [];
      driver.renewLease = async () => {
        log.push('renew');
      };
      let powered!: () => void;
      let powering!: () => void;
      const poweredOn = new Promise<void>((resolve) => (powered = resolve));
      const poweringOn = new Promise<void>((resolve) => (powering = resolve));
      const powerOn = driver.powerOn.bind(driver);
      driver.powerOn = async (node) => {
        log.push('power-on started');
        powering();
        await poweredOn;
        await powerOn(node);
        log.push('power-on ended');
      };
      const { held, boot } = holdAtGuestWait(driver);
      const load = provisioner.load({ node: { name: 'web-1' }, image: 'base-v1' });
      await poweringOn;
      // The renewal falls due (a third of the lease) while the power-on task still runs.
      await vi.advanceTimersByTimeAsync(1000);
      expect(log).toEqual(['power-on started']);
      powered();
      await held;
      await vi.advanceTimersByTimeAsync(0);
      expect(log).toEqual(['power-on started', 'power-on ended', 'renew']);
      boot();
      await load;
    } finally {
      vi.useRealTimers();
    }
  });
});
