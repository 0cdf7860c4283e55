import type { ProvisionerCapabilitiesV1 } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { recordEvents } from '../kit/record-events.ts';
import { expectCompleteCommands, expectErrorCode, expectExplained, expectNamesField } from '../kit/test-api.ts';
import { timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';

const CAPABILITIES: Array<keyof ProvisionerCapabilitiesV1> = ['linkedClones', 'fullClones', 'snapshots', 'captureWhileOn', 'retrieveImage', 'discoversAddress'];

/** Contract shape: version, provider, capabilities as data, event emitter; retrieveImage as declared. */
export function provisionerShapeChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 shape';
  const { quick } = timeouts(options);
  return [
    check(group, 'declares specificationVersion v1, a provider name and every capability as a boolean', quick, () =>
      withProvisioner(options, async (provisioner) => {
        expect(provisioner.specificationVersion).toBe('v1');
        expect(provisioner.provider).toMatch(/^[a-z][a-z0-9-]*$/);
        for (const key of CAPABILITIES) expect(typeof provisioner.capabilities[key], key).toBe('boolean');
        expect(typeof provisioner.events.on).toBe('function');
      }),
    ),
    check(group, 'retrieveImage copies an image from another library, verified, when declared; UNSUPPORTED_FUNCTIONALITY when not', quick, () =>
      withProvisioner(options, async (provisioner) => {
        if (!provisioner.capabilities.retrieveImage) {
          await expectErrorCode(provisioner.retrieveImage({ image: options.image, from: provisioner }), 'UNSUPPORTED_FUNCTIONALITY');
          return;
        }
        if (!options.retrieveTarget) throw new Error('the provisioner declares retrieveImage: give the kit options.retrieveTarget');
        const target = await options.retrieveTarget();
        try {
          expect(await target.doesImageExist({ image: options.image })).toBe(false);
          const { events, stop } = recordEvents(target.events);
          await target.retrieveImage({ image: options.image, from: provisioner }).finally(stop);
          expectCompleteCommands(events);
          expect(await target.doesImageExist({ image: options.image })).toBe(true);
          expect((await target.getImageSize({ image: options.image })).virtualBytes).toBe((await provisioner.getImageSize({ image: options.image })).virtualBytes);
          expect((await target.listImages()).map((image) => image.name)).toContain(options.image);
          await expectErrorCode(target.retrieveImage({ image: options.image, from: provisioner }), 'IMAGE_EXISTS');
          const aborted = new AbortController();
          aborted.abort();
          expectExplained(await expectErrorCode(target.retrieveImage({ image: options.newImageName(), from: provisioner, signal: aborted.signal }), 'ABORTED'));
          await expectErrorCode(target.retrieveImage({ image: options.newImageName(), from: provisioner }), 'IMAGE_NOT_FOUND');
          expectNamesField(await expectErrorCode(target.retrieveImage({ image: options.image, from: {} }), 'INVALID_INPUT'));
          expectNamesField(await expectErrorCode(provisioner.retrieveImage({ image: options.image, from: provisioner }), 'INVALID_INPUT'));
          expect(await target.deleteImage({ image: options.image })).toEqual({ deleted: true });
        } finally {
          await target.deleteImage({ image: options.image }).catch(() => undefined);
          await target.close();
        }
      }),
    ),
  ];
}
