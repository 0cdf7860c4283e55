import { AbortedError, UnsupportedFunctionalityError, ImageExistsError, ImageNotFoundError, InvalidInputError, ProvkitError, Secret, type NodeSpec, type OsModuleV1, type ProvisionerCapabilitiesV1, type ProvisionerV1 } from '@provkit/core';
import { expect } from 'vitest';
import { recordEvents, withFresh, type TestApi } from './test-api.ts';

/** What the provisioner suites need from the module under test. */
export interface ProvisionerSuiteOptions extends TestApi {
  /** Makes a fresh provisioner for one test; it is closed after the test. */
  createProvisioner: () => Promise<ProvisionerV1> | ProvisionerV1;
  /** A library image that exists for the whole run. */
  image: string;
  /** A fresh node, unique per call, that does not exist on the host yet. */
  newNode: () => NodeSpec;
  /** A fresh image name, unique per call, that is not in the library yet. */
  newImageName: () => string;
  /** The OS module `load` and `capture` use (default: the provisioner's own). */
  osModule?: OsModuleV1;
  /** Skip the groups that load real nodes (slow); default false. */
  skipLoads?: boolean;
  /** Per-test timeout for tests that load a node (default 10 min). */
  loadTimeoutMs?: number;
}

function withProvisioner(options: ProvisionerSuiteOptions, body: (provisioner: ProvisionerV1) => Promise<void>): () => Promise<void> {
  return withFresh(options.createProvisioner, body);
}

/** Contract shape: version, capabilities as data, event emitter. */
export function provisionerShapeSuite(options: ProvisionerSuiteOptions): void {
  const { describe, it } = options;
  describe('ProvisionerV1 shape', () => {
    it(
      'declares specificationVersion v1, a provider name and every capability as a boolean',
      withProvisioner(options, async (provisioner) => {
        expect(provisioner.specificationVersion).toBe('v1');
        expect(provisioner.provider).toMatch(/^[a-z][a-z0-9-]*$/);
        const keys: Array<keyof ProvisionerCapabilitiesV1> = ['linkedClones', 'fullClones', 'snapshots', 'captureWhileOn', 'retrieveImage', 'discoversAddress'];
        for (const key of keys) expect(typeof provisioner.capabilities[key]).toBe('boolean');
        expect(typeof provisioner.events.on).toBe('function');
      }),
    );
    it(
      'answers a capability it lacks with UnsupportedFunctionalityError, not a silent no-op',
      withProvisioner(options, async (provisioner) => {
        if (provisioner.capabilities.retrieveImage) return void expect(typeof provisioner.retrieveImage).toBe('function');
        await expect(provisioner.retrieveImage({ image: options.image, from: provisioner })).rejects.toBeInstanceOf(UnsupportedFunctionalityError);
      }),
    );
  });
}

/** The image library: existence, sizes, listing, typed errors for unknown images. */
export function provisionerImagesSuite(options: ProvisionerSuiteOptions): void {
  const { describe, it } = options;
  describe('ProvisionerV1 images', () => {
    it(
      'lists the fixture image and reports it exists with positive sizes',
      withProvisioner(options, async (provisioner) => {
        expect(await provisioner.doesImageExist({ image: options.image })).toBe(true);
        const images = await provisioner.listImages();
        expect(images.map((image) => image.name)).toContain(options.image);
        const size = await provisioner.getImageSize({ image: options.image });
        expect(size.virtualBytes).toBeGreaterThan(0);
        expect(size.allocatedBytes).toBeGreaterThan(0);
      }),
    );
    it(
      'says an unknown image does not exist and raises ImageNotFoundError for its size',
      withProvisioner(options, async (provisioner) => {
        const missing = options.newImageName();
        expect(await provisioner.doesImageExist({ image: missing })).toBe(false);
        await expect(provisioner.getImageSize({ image: missing })).rejects.toBeInstanceOf(ImageNotFoundError);
      }),
    );
    it(
      'refuses malformed image names with InvalidInputError',
      withProvisioner(options, async (provisioner) => {
        for (const bad of ['no-revision', '../etc/passwd-v1', 'x;rm -rf /-v1']) {
          await expect(provisioner.doesImageExist({ image: bad })).rejects.toBeInstanceOf(InvalidInputError);
        }
      }),
    );
  });
}

/** Unload and the bad-input rules of load, which need no running node. */
export function provisionerSafetySuite(options: ProvisionerSuiteOptions): void {
  const { describe, it } = options;
  describe('ProvisionerV1 safety', () => {
    it(
      'unloads a node that does not exist, twice, without error',
      withProvisioner(options, async (provisioner) => {
        const node = options.newNode();
        await provisioner.unload({ node });
        await provisioner.unload({ node });
        expect(await provisioner.powerStatus({ node }).catch((error: unknown) => (ProvkitError.isInstance(error) ? error.code : error))).toMatch(/^(off|unknown|NODE_NOT_FOUND)$/);
      }),
    );
    it(
      'refuses bad input to load with a typed error before touching the host',
      withProvisioner(options, async (provisioner) => {
        const { events, stop } = recordEvents(provisioner.events as never);
        const good = options.newNode();
        await expect(provisioner.load({ node: { ...good, name: 'bad name;reboot' }, image: options.image })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(provisioner.load({ node: good, image: 'not an image' })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(provisioner.load({ node: good, image: options.image, size: { cpus: 1, memoryBytes: 0 } })).rejects.toBeInstanceOf(InvalidInputError);
        stop();
        expect(events.filter((event) => event.name === 'progress')).toEqual([]);
        expect(await provisioner.powerStatus({ node: good }).catch(() => 'unknown')).toMatch(/^(off|unknown)$/);
      }),
    );
    it(
      'raises ImageNotFoundError when loading an image the library lacks, leaving no node',
      withProvisioner(options, async (provisioner) => {
        const node = options.newNode();
        await expect(provisioner.load({ node, image: options.newImageName() })).rejects.toSatisfy((error: unknown) => ProvkitError.isInstance(error) && (error instanceof ImageNotFoundError || (error.cause instanceof ImageNotFoundError)));
        expect(await provisioner.powerStatus({ node }).catch(() => 'unknown')).toMatch(/^(off|unknown)$/);
        await provisioner.unload({ node });
      }),
    );
    it(
      'honours an already-aborted signal: AbortedError and nothing created',
      withProvisioner(options, async (provisioner) => {
        const node = options.newNode();
        const controller = new AbortController();
        controller.abort();
        await expect(provisioner.load({ node, image: options.image, signal: controller.signal })).rejects.toSatisfy(
          (error: unknown) => error instanceof AbortedError || (ProvkitError.isInstance(error) && error.cause instanceof AbortedError),
        );
        expect(await provisioner.powerStatus({ node }).catch(() => 'unknown')).toMatch(/^(off|unknown)$/);
      }),
    );
  });
}

/** Full lifecycle on a real node: load → ready → capture refusals → unload, secrets never emitted. */
export function provisionerLifecycleSuite(options: ProvisionerSuiteOptions): void {
  const { describe, it } = options;
  const timeout = options.loadTimeoutMs ?? 600_000;
  describe('ProvisionerV1 lifecycle', () => {
    it(
      'loads a node that nodeStatus then calls ready, refuses to capture onto an existing image name, and unloads it',
      withProvisioner(options, async (provisioner) => {
        const node = options.newNode();
        const password = Secret.of(`conformance-${Math.random().toString(36).slice(2)}`);
        const { events, stop } = recordEvents(provisioner.events as never);
        try {
          const loadOptions = { node, image: options.image, customization: { users: [{ username: 'conformance', password }] } };
          const loaded = await provisioner.load(options.osModule ? { ...loadOptions, osModule: options.osModule } : loadOptions);
          expect(loaded.image).toBe(options.image);
          const status = await provisioner.nodeStatus({ node: loaded.address ? { ...node, address: loaded.address } : node, image: options.image });
          expect(status).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: options.image });
          expect(events.some((event) => event.name === 'progress')).toBe(true);
          await expect(provisioner.capture({ node, image: options.image })).rejects.toBeInstanceOf(ImageExistsError);
          expect(await provisioner.powerStatus({ node })).toBe('on');
        } finally {
          stop();
          await provisioner.unload({ node });
        }
        expect(JSON.stringify(events)).not.toContain(password.reveal());
        expect(await provisioner.powerStatus({ node }).catch(() => 'unknown')).toMatch(/^(off|unknown)$/);
      }),
      timeout,
    );
  });
}

/** Every provisioner suite; set `skipLoads` to leave out the ones that boot a node. */
export function provisionerConformance(options: ProvisionerSuiteOptions): void {
  provisionerShapeSuite(options);
  provisionerImagesSuite(options);
  provisionerSafetySuite(options);
  if (!options.skipLoads) provisionerLifecycleSuite(options);
}
