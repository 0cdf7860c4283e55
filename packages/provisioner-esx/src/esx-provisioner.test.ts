import { ImageExistsError, type ImageInfo, type ImageSize } from '@provkit/core';
import { describe, expect, it } from 'vitest';
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
    this.nodes.set(request.node, { power: 'off', isTemplate: false, toolsRunning: false, image: request.image });
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
  async captureNode(_node: string, image: string): Promise<ImageSize> {
    await tick();
    const info: ImageInfo = { name: image, base: image.replace(/-v\d+$/, ''), revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 };
    this.images.set(image, info);
    return { virtualBytes: 10, allocatedBytes: 5 };
  }
  async close(): Promise<void> {}
}

function withFakeDriver(options: Partial<EsxProvisionerOptions> = {}): { provisioner: EsxProvisioner; driver: FakeDriver } {
  // Built on the ssh back end, whose constructor touches nothing, then given the in-memory one.
  const provisioner = new EsxProvisioner({ ...options, ssh: { runner: {} as never, datastore: 'datastore1' } });
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
    const capture = provisioner.capture({ node: { name: 'web-1' }, image: 'base-v1', signal });
    const [loaded, captured] = await Promise.allSettled([load, capture]);
    expect(loaded).toMatchObject({ status: 'fulfilled', value: { node: 'web-1', image: 'base-v1' } });
    // The image exists (it is the one loaded from): the capture is refused, not stuck.
    expect(captured.status).toBe('rejected');
    expect((captured as PromiseRejectedResult).reason).toBeInstanceOf(ImageExistsError);
  });

  it('captures and loads over shared nodes and images, started together, all settle', async () => {
    const { provisioner, driver } = withFakeDriver();
    driver.images.set('base-v1', { name: 'base-v1', base: 'base', revision: 1, format: 'template', virtualBytes: 10, allocatedBytes: 5 });
    driver.nodes.set('web-1', { power: 'off', isTemplate: false, toolsRunning: false, image: 'base-v1' });
    const signal = AbortSignal.timeout(2_000);
    const results = await Promise.all([
      provisioner.capture({ node: { name: 'web-1' }, image: 'base-v2', signal }),
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
      driver.nodes.set('win-1', { power: 'on', isTemplate: false, toolsRunning: true });
      await provisioner.capture({ node: { name: 'win-1', address: { host: '192.0.2.7' } }, image: 'win-v2', ...(providerOptions ? { providerOptions } : {}) });
    }
    // Not the 1 s shutdown bound: nothing (the module's own 30 min for Sysprep), then the configured ones.
    expect(seen).toEqual([undefined, 3_600_000, 60_000]);
  });
});
