import type { ProgressEvent } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { stepsOf } from '../kit/record-events.ts';
import { expectErrorCode } from '../kit/test-api.ts';
import { addressed, cleanUp, expectAbsent, loadFresh, osModuleOf, timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';
import { FRESH_LOAD_STEPS, REPLACING_LOAD_STEPS } from './steps.ts';

/** Load over an existing managed node: replaced (VCL), or refused when asked; concurrent loads serialize. */
export function provisionerReplaceChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 reload';
  const { load: timeout } = timeouts(options);
  return [
    check(group, 'loads over an existing managed node, on or off, by replacing it (step node-replaced); the new load is what runs', timeout * 3, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await loadFresh(options, provisioner);
        try {
          for (const before of ['on', 'off'] as const) {
            // Marks the old machine: a replaced node runs a fresh post-load, so this mark is gone.
            await osModule.writeCurrentImage({ node, info: { image: options.image, properties: {}, postLoadDone: false } });
            if (before === 'off') await provisioner.powerOff({ node, mode: 'hard' });
            const progress: ProgressEvent[] = [];
            const loaded = await provisioner.load({ node, image: options.image, osModule, ...(before === 'off' ? { ifExists: 'replace' as const } : {}), onProgress: (event) => progress.push(event) });
            expect(stepsOf(progress, 'load'), `reload of a node that was ${before}`).toEqual(REPLACING_LOAD_STEPS);
            expect(await provisioner.nodeStatus({ node: addressed(node, loaded), image: options.image, osModule })).toMatchObject({ status: 'ready', power: 'on' });
          }
          await provisioner.unload({ node });
          await expectAbsent(provisioner, node);
        } finally {
          await cleanUp(provisioner, { nodes: [node] });
        }
      }),
    ),
    check(group, "refuses with NODE_EXISTS under ifExists: 'refuse', leaving the node running and ready", timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await loadFresh(options, provisioner);
        try {
          const progress: ProgressEvent[] = [];
          await expectErrorCode(provisioner.load({ node, image: options.image, osModule, ifExists: 'refuse', onProgress: (event) => progress.push(event) }), 'NODE_EXISTS');
          expect(stepsOf(progress, 'load')).not.toContain('node-replaced');
          // An image the library lacks does not cost the existing node.
          await expectErrorCode(provisioner.load({ node, image: options.newImageName(), osModule }), 'IMAGE_NOT_FOUND');
          expect(await provisioner.powerStatus({ node })).toBe('on');
          expect(await provisioner.nodeStatus({ node, image: options.image, osModule })).toMatchObject({ status: 'ready' });
        } finally {
          await cleanUp(provisioner, { nodes: [node] });
        }
      }),
    ),
    check(group, 'serializes two concurrent loads of one node: both succeed, the second replaces the first, their progress does not interleave, one unload leaves it absent', timeout * 2, () =>
      withProvisioner(options, async (provisioner) => {
        const osModule = osModuleOf(options);
        const node = await options.newNode();
        const order: Array<{ load: number; step: string }> = [];
        const start = (load: number) => provisioner.load({ node, image: options.image, osModule, onProgress: (event) => event.operation === 'load' && order.push({ load, step: event.step }) });
        try {
          const results = await Promise.allSettled([start(1), start(2)]);
          expect(results.map((result) => (result.status === 'rejected' ? String(result.reason) : 'loaded'))).toEqual(['loaded', 'loaded']);
          const first = order[0]!.load;
          const boundary = order.findIndex((entry) => entry.load !== first);
          expect(boundary, 'the second load reported nothing').toBeGreaterThan(0);
          expect(order.slice(boundary).every((entry) => entry.load !== first), `progress interleaved: ${order.map((entry) => `${entry.load}:${entry.step}`).join(' ')}`).toBe(true);
          expect(order.slice(0, boundary).map((entry) => entry.step)).toEqual(FRESH_LOAD_STEPS);
          expect(order.slice(boundary).map((entry) => entry.step)).toEqual(REPLACING_LOAD_STEPS);
          const loaded = results[0]!.status === 'fulfilled' ? results[0].value : undefined;
          expect(await provisioner.nodeStatus({ node: loaded ? addressed(node, loaded) : node, image: options.image, osModule })).toMatchObject({ status: 'ready' });
          await provisioner.unload({ node });
          await expectAbsent(provisioner, node);
        } finally {
          await cleanUp(provisioner, { nodes: [node] });
        }
      }),
    ),
  ];
}
