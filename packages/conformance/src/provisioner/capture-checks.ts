import { ProvkitError, type EndState, type NodeSpec, type OsModuleV1, type ProgressEvent, type ProvisionerV1 } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { recordEvents, stepsOf } from '../kit/record-events.ts';
import { expectCompleteCommands, expectErrorCode } from '../kit/test-api.ts';
import { cleanUp, expectAbsent, loadFresh, osModuleOf, timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';
import { CAPTURE_OFF_STEPS, CAPTURE_ON_STEPS } from './steps.ts';

/**
 * Captures `node` into `image` and checks the steps and sub-steps it reported. With an OS
 * module that generalizes, through its preCapture; without one (capability generalize
 * absent), as an explicitly ungeneralized copy of the powered-off node (`skipPreCapture`).
 */
async function captureObserved(provisioner: ProvisionerV1, osModule: OsModuleV1, node: NodeSpec, image: string, endState: EndState): Promise<void> {
  const generalize = osModule.capabilities.generalize;
  if (!generalize) await provisioner.powerOff({ node, mode: 'hard' });
  const progress: ProgressEvent[] = [];
  const osEvents = recordEvents(osModule.events);
  const events = recordEvents(provisioner.events);
  let result;
  try {
    // End state off is the default: asked for by leaving it out.
    result = await provisioner.capture({ node, image, ...(endState === 'off' ? {} : { endState }), osModule, ...(generalize ? {} : { skipPreCapture: true }), onProgress: (event) => progress.push(event) });
  } finally {
    osEvents.stop();
    events.stop();
  }
  expectCompleteCommands(events.events);
  expect(result.image).toBe(image);
  expect(result.sizeBytes).toBeGreaterThan(0);
  expect(result.durationMs).toBeGreaterThanOrEqual(0);
  for (const event of progress.filter((entry) => entry.operation === 'capture')) expect(event).toMatchObject({ node: node.name, image });
  const steps: readonly string[] = endState === 'off' ? CAPTURE_OFF_STEPS : CAPTURE_ON_STEPS;
  expect(stepsOf(progress, 'capture')).toEqual(generalize ? steps : steps.filter((step) => step !== 'pre-capture-done'));
  const osSteps = osEvents.events.filter((event) => event.name === 'progress').map((event) => event.payload as ProgressEvent);
  expect(progress.filter((event) => event.operation !== 'capture').map((event) => `${event.operation}:${event.step}`)).toEqual(osSteps.map((event) => `${event.operation}:${event.step}`));
}

/** Capture succeeds, the image loads elsewhere, deletion is refused in use and idempotent; end states observed. */
export function provisionerCaptureChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 capture';
  const { load: timeout } = timeouts(options);
  const checks = [
    check(group, 'captures an image (generalized by the OS module, or an explicitly ungeneralized copy when it declares no generalize; CAPTURE_STEPS, preCapture sub-steps through onProgress, node left off) that a second node loads and runs; deleteImage refused while in use, then { deleted: true }, then { deleted: false }', timeout * 2, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const image = options.newImageName();
        const made: { nodes: NodeSpec[]; images: string[] } = { nodes: [], images: [image] };
        try {
          const first = await loadFresh(options, provisioner);
          made.nodes.push(first);
          await captureObserved(provisioner, osModule, first, image, 'off');
          expect(await provisioner.powerStatus({ node: first })).toBe('off');
          expect(await provisioner.doesImageExist({ image })).toBe(true);
          expect((await provisioner.listImages()).map((entry) => entry.name)).toContain(image);
          expect((await provisioner.getImageSize({ image })).virtualBytes).toBeGreaterThan(0);
          await expectErrorCode(provisioner.capture({ node: first, image, skipPreCapture: true }), 'IMAGE_EXISTS');

          const second = await loadFresh(options, provisioner, image);
          made.nodes.push(second);
          expect(await provisioner.nodeStatus({ node: second, image, osModule })).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: image });
          expect((await provisioner.nodeStatus({ node: second, image: options.image, osModule })).status).toBe('reload');
          expect(await provisioner.getCurrentImage({ node: second })).toBe(image);

          const inUse = await expectErrorCode(provisioner.deleteImage({ image }), 'IMAGE_IN_USE');
          expect(inUse.message, 'the refusal names the node using the image').toContain(second.name);
          expect(await provisioner.doesImageExist({ image })).toBe(true);
          // Only the node loaded from it holds the image: the first, from another image, does not.
          await provisioner.unload({ node: second });
          await expectAbsent(provisioner, second);
          const deleting = recordEvents(provisioner.events);
          expect(await provisioner.deleteImage({ image }).finally(deleting.stop)).toEqual({ deleted: true });
          expectCompleteCommands(deleting.events);
          expect(await provisioner.doesImageExist({ image })).toBe(false);
          expect(await provisioner.deleteImage({ image })).toEqual({ deleted: false });
        } finally {
          await cleanUp(provisioner, made);
        }
      }),
    ),
    check(group, 'refuses to capture onto an existing image name with IMAGE_EXISTS, leaving the node running and ready; an explicitly ungeneralized capture powers it off', timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await loadFresh(options, provisioner);
        try {
          await expectErrorCode(provisioner.capture({ node, image: options.image, osModule }), 'IMAGE_EXISTS');
          expect(await provisioner.powerStatus({ node })).toBe('on');
          expect((await provisioner.nodeStatus({ node, image: options.image, osModule })).status).toBe('ready');
          // Asked for explicitly, an ungeneralized copy of the running node: it is powered off first.
          const copy = options.newImageName();
          const { events, stop } = recordEvents(provisioner.events);
          await provisioner.capture({ node, image: copy, skipPreCapture: true, endState: 'off' }).finally(stop);
          expectCompleteCommands(events);
          expect(await provisioner.powerStatus({ node })).toBe('off');
          expect(await provisioner.doesImageExist({ image: copy })).toBe(true);
          await provisioner.unload({ node });
          expect(await provisioner.deleteImage({ image: copy })).toEqual({ deleted: true });
        } finally {
          await cleanUp(provisioner, { nodes: [node] });
        }
      }),
    ),
  ];
  checks.push(
    check(group, 'a capture that fails (the node is off, so it cannot be generalized) reports capture-failed last and stores nothing', timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await loadFresh(options, provisioner);
        const image = options.newImageName();
        try {
          await provisioner.powerOff({ node, mode: 'hard' });
          const progress: ProgressEvent[] = [];
          const failure = await provisioner.capture({ node, image, osModule, onProgress: (event) => progress.push(event) }).then(() => undefined, (error: unknown) => error);
          expect(ProvkitError.isInstance(failure), `capture of a node that is off answered ${String(failure)}`).toBe(true);
          expect(stepsOf(progress, 'capture').at(-1)).toBe('capture-failed');
          expect(await provisioner.doesImageExist({ image })).toBe(false);
        } finally {
          await cleanUp(provisioner, { nodes: [node], images: [image] });
        }
      }),
    ),
  );
  if (!options.skipCaptureEndStates) {
    for (const endState of ['on', 'reboot'] as const) {
      checks.push(
        check(group, `captures with end state ${endState}: step powered-on, the node on and answering afterwards`, timeout * 2, () =>
          withProvisioner(options, async (provisioner) => {
            const osModule = osModuleOf(options);
            const image = options.newImageName();
            const node = await loadFresh(options, provisioner);
            try {
              await captureObserved(provisioner, osModule, node, image, endState);
              expect(await provisioner.powerStatus({ node })).toBe('on');
              await osModule.waitForResponse({ node, timeoutMs: timeout });
              expect(await provisioner.doesImageExist({ image })).toBe(true);
            } finally {
              await cleanUp(provisioner, { nodes: [node], images: [image] });
            }
          }),
        ),
      );
    }
  }
  return checks;
}
