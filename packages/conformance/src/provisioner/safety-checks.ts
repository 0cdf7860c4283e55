import { UNLOAD_STEPS } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { expectStepsInOrder, recordEvents, stepsOf } from '../kit/record-events.ts';
import { expectErrorCode, expectNamesField } from '../kit/test-api.ts';
import { expectAbsent, timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';

/** Nodes that do not exist, images the library lacks, nodes provkit did not create: typed answers, nothing created. */
export function provisionerSafetyChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 safety';
  const { quick } = timeouts(options);
  const checks = [
    check(group, 'unloads a node that does not exist, twice, without error, removing nothing (no node-removed or unload-done step)', quick, () =>
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        const { events, stop } = recordEvents(provisioner.events);
        await provisioner.unload({ node });
        await provisioner.unload({ node });
        stop();
        const steps = stepsOf(events, 'unload');
        expect(steps).not.toContain('node-removed');
        expect(steps).not.toContain('unload-done');
        for (const step of steps) expect(UNLOAD_STEPS).toContain(step);
        expectStepsInOrder([...new Set(steps)], UNLOAD_STEPS);
        await expectAbsent(provisioner, node);
      }),
    ),
    check(group, 'answers power operations on a node that does not exist (input at its valid edges) (and getCurrentImage) with NODE_NOT_FOUND and nodeStatus with reload, power off', quick, () =>
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        await expectErrorCode(provisioner.powerOn({ node }), 'NODE_NOT_FOUND');
        await expectErrorCode(provisioner.powerOff({ node, mode: 'hard' }), 'NODE_NOT_FOUND');
        // Valid input at its edges is not refused: a one-millisecond bound, an address without a port.
        await expectErrorCode(provisioner.powerOff({ node, mode: 'graceful', timeoutMs: 1 }), 'NODE_NOT_FOUND');
        if (node.address) await expectErrorCode(provisioner.powerStatus({ node: { ...node, address: { host: node.address.host } } }), 'NODE_NOT_FOUND');
        await expectErrorCode(provisioner.powerReset({ node }), 'NODE_NOT_FOUND');
        await expectAbsent(provisioner, node);
        const status = await provisioner.nodeStatus({ node, image: options.image, osModule: options.osModule });
        expect(status).toMatchObject({ status: 'reload', power: 'off', ssh: false });
        expect(status.detail, 'the decision is decideNodeStatus: an absent node does not exist').toMatch(/does not exist/);
        await expectErrorCode(provisioner.getCurrentImage({ node }), 'NODE_NOT_FOUND');
        await expectErrorCode(provisioner.capture({ node, image: options.newImageName(), skipPreCapture: true }), 'NODE_NOT_FOUND');
        await expectAbsent(provisioner, node);
      }),
    ),
    check(group, 'raises IMAGE_NOT_FOUND when loading an image the library lacks, leaving no node', quick, () =>
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        await expectErrorCode(provisioner.load({ node, image: options.newImageName(), osModule: options.osModule }), 'IMAGE_NOT_FOUND');
        await expectAbsent(provisioner, node);
      }),
    ),
    check(group, 'refuses a capture that cannot generalize (a node without an address) with INVALID_INPUT; a provisioner that discovers addresses goes on to look the node up (NODE_NOT_FOUND), or without an OS module refuses for that (INVALID_INPUT naming osModule)', quick, () =>
      withProvisioner(options, async (provisioner) => {
        const { name } = await options.newNode();
        const image = options.newImageName();
        if (provisioner.capabilities.discoversAddress) {
          if (options.osModule) {
            await expectErrorCode(provisioner.capture({ node: { name }, image, osModule: options.osModule }), 'NODE_NOT_FOUND');
          } else {
            // Without an OS module to generalize with, the address question never comes up: refused for that.
            const refused = await expectErrorCode(provisioner.capture({ node: { name }, image }), 'INVALID_INPUT');
            expect((refused as { field?: unknown }).field).toBe('osModule');
          }
          expect(await provisioner.doesImageExist({ image })).toBe(false);
          return;
        }
        expectNamesField(await expectErrorCode(provisioner.capture({ node: { name }, image, osModule: options.osModule }), 'INVALID_INPUT'));
        expect(await provisioner.doesImageExist({ image })).toBe(false);
      }),
    ),
  ];
  const unmanagedNode = options.unmanagedNode;
  if (unmanagedNode) {
    checks.push(
      check(group, 'never touches a node provkit did not create: load (replace or refuse), unload and power refused with NODE_NOT_MANAGED', quick, () =>
        withProvisioner(options, async (provisioner) => {
          const node = await unmanagedNode();
          const before = await provisioner.powerStatus({ node });
          const osModule = options.osModule ? { osModule: options.osModule } : {};
          await expectErrorCode(provisioner.load({ node, image: options.image, ...osModule }), 'NODE_NOT_MANAGED');
          await expectErrorCode(provisioner.load({ node, image: options.image, ifExists: 'refuse', ...osModule }), 'NODE_NOT_MANAGED');
          await expectErrorCode(provisioner.unload({ node }), 'NODE_NOT_MANAGED');
          await expectErrorCode(provisioner.powerOff({ node, mode: 'hard' }), 'NODE_NOT_MANAGED');
          expect(await provisioner.powerStatus({ node })).toBe(before);
        }),
      ),
    );
  }
  return checks;
}
