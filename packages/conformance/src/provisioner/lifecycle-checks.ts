import { Secret, type ProgressEvent } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { recordEvents, stepsOf } from '../kit/record-events.ts';
import { errorCode, expectCompleteCommands, expectErrorCode } from '../kit/test-api.ts';
import { addressed, cleanUp, expectAbsent, loadFresh, osModuleOf, timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';
import { FRESH_LOAD_STEPS, UNLOAD_RUNNING_STEPS } from './steps.ts';

const subSteps = (events: readonly ProgressEvent[], operation: string): string[] => events.filter((event) => event.operation !== operation).map((event) => `${event.operation}:${event.step}`);

/** Load → ready → unload, power observed through powerStatus, secrets never emitted. */
export function provisionerLifecycleChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 lifecycle';
  const { load: timeout } = timeouts(options);
  return [
    check(group, 'loads a node (exactly the LOAD_STEPS, in order, on events and onProgress; post-load sub-steps through onProgress) that nodeStatus with the OS module per call calls ready, and unloads it to absent', timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const fresh = await options.newNode();
        const progress: ProgressEvent[] = [];
        const provisionerEvents = recordEvents(provisioner.events);
        const osEvents = recordEvents(osModule.events);
        try {
          const before = Date.now();
          const loaded = await provisioner.load({ node: fresh, image: options.image, osModule, onProgress: (event) => progress.push(event) });
          expect(loaded.durationMs).toBeGreaterThanOrEqual(0);
          expect(loaded.durationMs).toBeLessThanOrEqual(Date.now() - before);
          if (fresh.address) expect(loaded.address, 'where the node answered').toMatchObject({ host: fresh.address.host });
          provisionerEvents.stop();
          osEvents.stop();
          expect(loaded).toMatchObject({ node: fresh.name, image: options.image });
          expect(stepsOf(progress, 'load')).toEqual(FRESH_LOAD_STEPS);
          expect(stepsOf(provisionerEvents.events, 'load')).toEqual(FRESH_LOAD_STEPS);
          // Each event says what it is about, and each command where it ran and what it was.
          for (const event of progress.filter((entry) => entry.operation === 'load')) expect(event).toMatchObject({ node: fresh.name, image: options.image });
          expect(provisionerEvents.events.filter((event) => event.name === 'command').length, 'a load reports the commands it ran').toBeGreaterThan(0);
          expectCompleteCommands(provisionerEvents.events);
          expectCompleteCommands(osEvents.events);
          // Whatever the OS module reported during post-load also reached the load's onProgress, in order.
          const osProgress = osEvents.events.filter((event) => event.name === 'progress').map((event) => event.payload as ProgressEvent);
          expect(subSteps(progress, 'load')).toEqual(subSteps(osProgress, 'load'));
          const node = addressed(fresh, loaded);
          expect(await provisioner.nodeStatus({ node, image: options.image, osModule })).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: options.image });
          expect(await provisioner.nodeStatus({ node, osModule })).toMatchObject({ status: 'ready', currentImage: options.image });
          expect((await provisioner.nodeStatus({ node, image: options.newImageName(), osModule })).status).toBe('reload');
          expect(await provisioner.getCurrentImage({ node })).toBe(options.image);
          expect(await provisioner.powerStatus({ node })).toBe('on');
          const unloading = recordEvents(provisioner.events);
          await provisioner.unload({ node });
          unloading.stop();
          expect(stepsOf(unloading.events, 'unload')).toEqual(UNLOAD_RUNNING_STEPS);
          for (const event of unloading.events.filter((entry) => entry.name === 'progress')) expect(event.payload).toMatchObject({ operation: 'unload', node: fresh.name });
          expectCompleteCommands(unloading.events);
          await expectAbsent(provisioner, node);
          expect(await provisioner.nodeStatus({ node, image: options.image, osModule })).toMatchObject({ status: 'reload', power: 'off' });
          await provisioner.unload({ node });
        } finally {
          provisionerEvents.stop();
          osEvents.stop();
          await cleanUp(provisioner, { nodes: [fresh] });
        }
      }),
    ),
    check(group, 'powers off (hard and graceful), on and reset, each observed through powerStatus; nodeStatus says post-load, then reload when off', timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await loadFresh(options, provisioner);
        const { events, stop } = recordEvents(provisioner.events);
        try {
          expect(await provisioner.powerStatus({ node })).toBe('on');
          // The guest runs another image than the host recorded: reload, even with none wanted.
          await osModule.writeCurrentImage({ node, info: { image: options.newImageName(), properties: {}, postLoadDone: true } });
          expect((await provisioner.nodeStatus({ node, osModule })).status).toBe('reload');
          await osModule.writeCurrentImage({ node, info: { image: options.image, properties: {}, postLoadDone: false } });
          expect(await provisioner.nodeStatus({ node, image: options.image, osModule })).toMatchObject({ status: 'post-load', power: 'on', ssh: true });
          await provisioner.powerOff({ node, mode: 'hard' });
          expect(await provisioner.powerStatus({ node })).toBe('off');
          expect(await provisioner.nodeStatus({ node, image: options.image, osModule })).toMatchObject({ status: 'reload', power: 'off', ssh: false });
          await provisioner.powerOff({ node, mode: 'hard' });
          expect(await provisioner.powerStatus({ node })).toBe('off');
          await provisioner.powerOn({ node });
          expect(await provisioner.powerStatus({ node })).toBe('on');
          await osModule.waitForResponse({ node, timeoutMs: timeout });
          await provisioner.powerOff({ node, mode: 'graceful', timeoutMs: Math.min(timeout, 120_000) });
          expect(await provisioner.powerStatus({ node })).toBe('off');
          await provisioner.powerReset({ node });
          expect(await provisioner.powerStatus({ node })).toBe('on');
          await osModule.waitForResponse({ node, timeoutMs: timeout });
          await provisioner.powerOn({ node });
          expect(await provisioner.powerStatus({ node })).toBe('on');
          // Unloading a node that is off has nothing to power off.
          await provisioner.powerOff({ node, mode: 'hard' });
          const unloading = recordEvents(provisioner.events);
          await provisioner.unload({ node });
          unloading.stop();
          expect(stepsOf(unloading.events, 'unload')).toEqual(UNLOAD_RUNNING_STEPS.filter((step) => step !== 'powered-off'));
          expectCompleteCommands(events);
        } finally {
          stop();
          await cleanUp(provisioner, { nodes: [node] });
        }
        await expectAbsent(provisioner, node);
      }),
    ),
    check(group, "never emits a customization user's password; an OS module without user management refuses the user with UNSUPPORTED_FUNCTIONALITY before any command or step, leaving no node", timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await options.newNode();
        const password = Secret.of(`conformance-${Math.random().toString(36).slice(2)}`);
        const progress: ProgressEvent[] = [];
        const { events, stop } = recordEvents(provisioner.events);
        const osEvents = recordEvents(osModule.events);
        if (!osModule.capabilities.users) {
          try {
            await expectErrorCode(provisioner.load({ node, image: options.image, osModule, onProgress: (event) => progress.push(event), customization: { users: [{ username: 'conformance', password }] } }), 'UNSUPPORTED_FUNCTIONALITY');
          } finally {
            stop();
            osEvents.stop();
          }
          expect([...events, ...osEvents.events].filter((event) => event.name !== 'warning'), 'refused before any command or step').toEqual([]);
          expect(progress).toEqual([]);
          for (const text of [JSON.stringify(events), JSON.stringify(osEvents.events)]) expect(text).not.toContain(password.reveal());
          await expectAbsent(provisioner, node);
          return;
        }
        try {
          await provisioner.load({ node, image: options.image, osModule, onProgress: (event) => progress.push(event), customization: { users: [{ username: 'conformance', password }] } });
        } catch (error) {
          if (errorCode(error) === 'UNSUPPORTED_FUNCTIONALITY') throw new Error(`the OS module declares users but refused a customization user: ${String(error)}`);
          throw error;
        } finally {
          stop();
          osEvents.stop();
          await cleanUp(provisioner, { nodes: [node] });
        }
        for (const text of [JSON.stringify(events), JSON.stringify(osEvents.events), JSON.stringify(progress)]) expect(text).not.toContain(password.reveal());
        await expectErrorCode(provisioner.powerStatus({ node }), 'NODE_NOT_FOUND');
      }),
    ),
  ];
}
