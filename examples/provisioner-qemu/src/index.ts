/**
 * An example third-party provkit provisioner: plain QEMU without libvirt, driven through a
 * `CommandRunner` of `@provkit/runners`. See README.md.
 *
 * @packageDocumentation
 */
export { QemuProvisioner } from './qemu-provisioner.ts';
export type { QemuProvisionerConfig } from './qemu-config.ts';
export * from './qemu-commands.ts';
