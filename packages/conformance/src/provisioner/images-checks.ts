import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { expectErrorCode } from '../kit/test-api.ts';
import { timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';

/** The image library without loads: existence, sizes, listing, typed errors, idempotent delete. */
export function provisionerImagesChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 images';
  const { quick } = timeouts(options);
  return [
    check(group, 'lists the fixture image and reports it exists with positive sizes', quick, () =>
      withProvisioner(options, async (provisioner) => {
        expect(await provisioner.doesImageExist({ image: options.image })).toBe(true);
        const images = await provisioner.listImages();
        expect(images.map((image) => image.name)).toContain(options.image);
        const size = await provisioner.getImageSize({ image: options.image });
        expect(size.virtualBytes).toBeGreaterThan(0);
        expect(size.allocatedBytes).toBeGreaterThan(0);
        const base = options.image.replace(/-v[0-9]+$/, '');
        expect((await provisioner.listImages({ base })).every((image) => image.base === base)).toBe(true);
        expect((await provisioner.listImages({ base })).map((image) => image.name)).toContain(options.image);
        expect((await provisioner.listImages({ base: 'conformance-no-such-base' })).map((image) => image.name)).not.toContain(options.image);
        for (const image of images) expect(image.format, `format of ${image.name}`).toMatch(/\S/);
      }),
    ),
    check(group, 'says an unknown image does not exist: doesImageExist false, getImageSize IMAGE_NOT_FOUND, deleteImage { deleted: false }', quick, () =>
      withProvisioner(options, async (provisioner) => {
        const missing = options.newImageName();
        expect(await provisioner.doesImageExist({ image: missing })).toBe(false);
        await expectErrorCode(provisioner.getImageSize({ image: missing }), 'IMAGE_NOT_FOUND');
        expect(await provisioner.deleteImage({ image: missing })).toEqual({ deleted: false });
        expect(await provisioner.doesImageExist({ image: options.image })).toBe(true);
      }),
    ),
  ];
}
