import { Secret, type NodeSpec, type OsModuleV1, type ProgressEvent, type ProvisionerCapabilitiesV1, type ProvisionerV1 } from '@provkit/core';
import { expect, type TestContext } from 'vitest';
import { errorCode, expectErrorCode, recordEvents, withFresh, type TestApi } from './test-api.ts';

/** What the provisioner suites need from the module under test. */
export interface ProvisionerSuiteOptions extends TestApi {
  /** Makes a fresh provisioner for one test; it is closed after the test. */
  createProvisioner: () => Promise<ProvisionerV1> | ProvisionerV1;
  /** A library image that exists for the whole run. */
  image: string;
  /** A fresh node, unique per call, that does not exist on the host yet. */
  newNode: () => NodeSpec | Promise<NodeSpec>;
  /** A fresh image name, unique per call, that is not in the library yet. */
  newImageName: () => string;
  /** The OS module `load` and `capture` use (default: the provisioner's own). */
  osModule?: OsModuleV1;
  /** Skip the groups that load real nodes (slow); default false. */
  skipLoads?: boolean;
  /** Per-test timeout for tests that load a node (default 10 min). */
  loadTimeoutMs?: number;
}

function withProvisioner(options: ProvisionerSuiteOptions, body: (provisioner: ProvisionerV1, context: TestContext) => Promise<void>): (context: TestContext) => Promise<void> {
  return withFresh(options.createProvisioner, body);
}

/** True when the node is gone or off: what "nothing left" looks like through the contract. */
async function absentOrOff(provisioner: ProvisionerV1, node: NodeSpec): Promise<boolean> {
  const state = await provisioner.powerStatus({ node }).catch((error: unknown) => errorCode(error) ?? String(error));
  return state === 'off' || state === 'unknown' || state === 'NODE_NOT_FOUND';
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
        await expectErrorCode(provisioner.retrieveImage({ image: options.image, from: provisioner }), 'UNSUPPORTED_FUNCTIONALITY');
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
        await expectErrorCode(provisioner.getImageSize({ image: missing }), 'IMAGE_NOT_FOUND');
      }),
    );
    it(
      'refuses malformed image names with InvalidInputError',
      withProvisioner(options, async (provisioner) => {
        for (const bad of ['no-revision', '../etc/passwd-v1', 'x;rm -rf /-v1']) {
          await expectErrorCode(provisioner.doesImageExist({ image: bad }), 'INVALID_INPUT');
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
        const node = await options.newNode();
        await provisioner.unload({ node });
        await provisioner.unload({ node });
        expect(await absentOrOff(provisioner, node)).toBe(true);
      }),
    );
    it(
      'refuses bad input to load with INVALID_INPUT before touching the host (no progress, no command)',
      withProvisioner(options, async (provisioner) => {
        const { events, stop } = recordEvents(provisioner.events as never);
        const good = await options.newNode();
        await expectErrorCode(provisioner.load({ node: { ...good, name: 'bad name;reboot' }, image: options.image }), 'INVALID_INPUT');
        await expectErrorCode(provisioner.load({ node: good, image: 'not an image' }), 'INVALID_INPUT');
        await expectErrorCode(provisioner.load({ node: good, image: options.image, size: { cpus: 1, memoryBytes: 0 } }), 'INVALID_INPUT');
        await expectErrorCode(provisioner.load({ node: good, image: options.image, customization: { users: [{ username: 'conformance', password: 'plain text' as never }] } }), 'INVALID_INPUT');
        stop();
        expect(events.filter((event) => event.name === 'progress' || event.name === 'command')).toEqual([]);
        expect(await absentOrOff(provisioner, good)).toBe(true);
      }),
    );
    it(
      'raises IMAGE_NOT_FOUND when loading an image the library lacks, leaving no node',
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        await expectErrorCode(provisioner.load({ node, image: options.newImageName() }), 'IMAGE_NOT_FOUND');
        expect(await absentOrOff(provisioner, node)).toBe(true);
        await provisioner.unload({ node });
      }),
    );
    it(
      'honours an already-aborted signal: ABORTED and nothing created',
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        const controller = new AbortController();
        controller.abort();
        await expectErrorCode(provisioner.load({ node, image: options.image, signal: controller.signal }), 'ABORTED');
        expect(await absentOrOff(provisioner, node)).toBe(true);
      }),
    );
  });
}

function withOsModule<T extends object>(options: ProvisionerSuiteOptions, call: T): T & { osModule?: OsModuleV1 } {
  return options.osModule ? { ...call, osModule: options.osModule } : call;
}

/**
 * Full lifecycle on real nodes: load → ready → capture refusals → unload; an abort in the
 * middle of a load removes what it created; a customization user's password never appears in
 * an event (skipped, and reported as skipped, when the OS module declares no user management).
 */
export function provisionerLifecycleSuite(options: ProvisionerSuiteOptions): void {
  const { describe, it } = options;
  const timeout = options.loadTimeoutMs ?? 600_000;
  describe('ProvisionerV1 lifecycle', () => {
    it(
      'loads a node that nodeStatus then calls ready, refuses to capture onto an existing image name, and unloads it',
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        const { events, stop } = recordEvents(provisioner.events as never);
        try {
          const loaded = await provisioner.load(withOsModule(options, { node, image: options.image }));
          expect(loaded.image).toBe(options.image);
          const status = await provisioner.nodeStatus({ node: loaded.address ? { ...node, address: loaded.address } : node, image: options.image });
          expect(status).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: options.image });
          const other = await provisioner.nodeStatus({ node: loaded.address ? { ...node, address: loaded.address } : node, image: options.newImageName() });
          expect(other.status).toBe('reload');
          expect(events.some((event) => event.name === 'progress')).toBe(true);
          await expectErrorCode(provisioner.capture(withOsModule(options, { node, image: options.image })), 'IMAGE_EXISTS');
          expect(await provisioner.powerStatus({ node })).toBe('on');
        } finally {
          stop();
          await provisioner.unload({ node });
        }
        expect(await absentOrOff(provisioner, node)).toBe(true);
        await provisioner.unload({ node });
      }),
      timeout,
    );
    it(
      'stops a load aborted once its first step is done and removes what it created',
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        const controller = new AbortController();
        const steps: string[] = [];
        const onProgress = (event: ProgressEvent): void => {
          steps.push(event.step);
          // The first step after the start: something now exists that the abort must remove.
          if (steps.length === 2) controller.abort(new Error('conformance abort'));
        };
        try {
          await expectErrorCode(provisioner.load(withOsModule(options, { node, image: options.image, signal: controller.signal, onProgress })), 'ABORTED');
          expect(steps.length).toBeGreaterThanOrEqual(2);
          expect(await absentOrOff(provisioner, node)).toBe(true);
        } finally {
          await provisioner.unload({ node });
        }
      }),
      timeout,
    );
    it(
      "never emits a customization user's password",
      withProvisioner(options, async (provisioner, context) => {
        const osModule = options.osModule;
        if (osModule && !osModule.capabilities.users) return context.skip(`the OS module (${osModule.os}) declares no user management`);
        const node = await options.newNode();
        const password = Secret.of(`conformance-${Math.random().toString(36).slice(2)}`);
        const { events, stop } = recordEvents(provisioner.events as never);
        try {
          await provisioner.load(withOsModule(options, { node, image: options.image, customization: { users: [{ username: 'conformance', password }] } }));
        } catch (error) {
          if (errorCode(error) === 'UNSUPPORTED_FUNCTIONALITY') return context.skip('the OS module declares no user management');
          throw error;
        } finally {
          stop();
          await provisioner.unload({ node });
        }
        expect(JSON.stringify(events)).not.toContain(password.reveal());
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
