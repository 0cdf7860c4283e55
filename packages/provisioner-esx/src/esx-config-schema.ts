import { booleanSetting, byteQuantity, configObject, durationMs, envVarName, nonEmptyString, positiveInteger, readableFile } from '@provkit/core';
import { refineSshCredentials, sshTargetShape } from '@provkit/runners';
import { z } from 'zod';

const nonNegativeMs = z.number({ error: 'must be a whole number of milliseconds (0: off)' }).int({ error: 'must be a whole number of milliseconds (0: off)' }).nonnegative({ error: 'must be a whole number of milliseconds (0: off)' });

/** `api:` of an ESX section: vCenter, or an ESXi whose API may write. */
const apiSchema = configObject({
  url: z.string({ error: 'is required: the vSphere SDK URL' }).regex(/^https?:\/\/[^\s/]+(:\d+)?\/sdk\/?$/, { error: 'must be a vSphere SDK URL like https://vcenter.example.org/sdk' }),
  username: nonEmptyString,
  passwordEnv: envVarName,
  tls: configObject({
    caFile: readableFile.optional(),
    thumbprint: nonEmptyString.optional(),
    insecureSkipTlsVerify: booleanSetting.optional(),
  }).optional(),
  datacenter: nonEmptyString.optional(),
  imagesFolder: nonEmptyString.optional(),
  nodesFolder: nonEmptyString.optional(),
  resourcePool: nonEmptyString.optional(),
  datastore: nonEmptyString.optional(),
  maxConcurrentRequests: positiveInteger.optional(),
  requestTimeoutMs: durationMs.optional(),
  taskTimeoutMs: durationMs.optional(),
  keepAliveIntervalMs: nonNegativeMs.optional(),
});

/** `ssh:` of an ESX section: an ESXi driven with `vim-cmd` over SSH. */
const sshSchema = configObject({
  ...sshTargetShape,
  datastore: nonEmptyString,
  imagesDirectory: nonEmptyString.optional(),
  commandTimeoutMs: durationMs.optional(),
}).superRefine(refineSshCredentials);

/**
 * The `provisioner:` section with `kind: esx`, with exactly one back end (`api` or `ssh`).
 * `createEsxProvisioner` parses with it; the CLI's JSON Schema is made from it.
 */
export const esxProvisionerConfigSchema = configObject({
  kind: z.literal('esx', { error: 'must be esx in an ESX provisioner section' }).optional(),
  api: apiSchema.optional(),
  ssh: sshSchema.optional(),
  defaultSize: configObject({ cpus: positiveInteger.optional(), memory: byteQuantity.optional() }).optional(),
  toolsTimeoutMs: durationMs.optional(),
  bootTimeoutMs: durationMs.optional(),
  shutdownTimeoutMs: durationMs.optional(),
  preCaptureTimeoutMs: durationMs.optional(),
}).superRefine((config, context) => {
  if ((config.api === undefined) === (config.ssh === undefined)) {
    context.addIssue({ code: 'custom', path: ['api'], message: 'give exactly one of api (vSphere API) or ssh (vim-cmd over SSH)' });
  }
});

/** A parsed ESX section. */
export type EsxProvisionerConfig = z.output<typeof esxProvisionerConfigSchema>;
