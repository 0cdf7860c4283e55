import { booleanSetting, byteQuantity, configObject, durationMs, nonEmptyString, positiveInteger, remotePath } from '@provkit/core';
import { refineSshCredentials, sshTargetShape } from '@provkit/runners';
import { z } from 'zod';

/** `network:` of a KVM section: a bridge, a libvirt network, or QEMU user mode with a port forward. */
const networkSchema = z.discriminatedUnion('kind', [
  configObject({ kind: z.literal('bridge'), bridge: nonEmptyString }),
  configObject({ kind: z.literal('network'), network: nonEmptyString }),
  configObject({ kind: z.literal('user-forward'), guestPort: positiveInteger.optional(), pciSlot: positiveInteger.optional() }),
]);

/** `host:` of a KVM section: `local`, or the SSH settings of the libvirt host. */
const hostSchema = z.union([z.literal('local'), configObject(sshTargetShape).superRefine(refineSshCredentials)], {
  error: (issue) => (issue.code === 'invalid_union' ? 'must be `local` or { host, username, privateKeyPath, knownHostsPath }' : undefined),
});

/**
 * The `provisioner:` section with `kind: kvm`, as the configuration file spells it (units as
 * text, `~/` paths). `createKvmProvisioner` parses with it; the CLI's JSON Schema is made from it.
 */
export const kvmProvisionerConfigSchema = configObject({
  kind: z.literal('kvm', { error: 'must be kvm in a KVM provisioner section' }).optional(),
  host: hostSchema,
  libraryDir: remotePath,
  nodeDiskDir: remotePath,
  uri: nonEmptyString.optional(),
  domainType: z.enum(['kvm', 'qemu']).optional(),
  machine: nonEmptyString.optional(),
  clock: z.enum(['utc', 'localtime']).optional(),
  network: networkSchema.optional(),
  defaultSize: configObject({ cpus: positiveInteger, memory: byteQuantity }).optional(),
  directKernelBoot: configObject({ kernel: remotePath, initrd: remotePath.optional(), cmdline: nonEmptyString.optional() }).optional(),
  consoleLog: booleanSetting.optional(),
  bootTimeoutMs: durationMs.optional(),
  shutdownTimeoutMs: durationMs.optional(),
  preCaptureTimeoutMs: durationMs.optional(),
  compressCaptures: booleanSetting.optional(),
  commandTimeoutMs: durationMs.optional(),
  lockTimeoutMs: durationMs.optional(),
}).superRefine((config, context) => {
  // unload deletes a node's disks from nodeDiskDir: sharing it with the library would let a
  // node named like an image take the image with it.
  if (config.libraryDir.replace(/\/+$/, '') === config.nodeDiskDir.replace(/\/+$/, '')) {
    context.addIssue({ code: 'custom', path: ['nodeDiskDir'], message: 'must differ from libraryDir (unload deletes node disks there)' });
  }
});

/** A parsed KVM section. */
export type KvmProvisionerConfig = z.output<typeof kvmProvisionerConfigSchema>;
