import { configObject, durationMs, envVarName, nonEmptyString, booleanSetting } from '@provkit/core';
import { refineSshCredentials, sshCredentialsShape } from '@provkit/runners';
import { z } from 'zod';
import { FIREWALL_KINDS } from './firewall/firewall-script.ts';

/** A list of strings; a single string is a list of one. */
const stringList = z.union([nonEmptyString, z.array(nonEmptyString)], { error: 'must be a string or a list of strings' }).transform((value) => (typeof value === 'string' ? [value] : value));

/**
 * The `os:` section with `kind: linux`: the SSH settings used for every guest, plus the
 * module's own. `createLinuxOsModule` parses with it; the CLI's JSON Schema is made from it.
 */
export const linuxOsModuleConfigSchema = configObject({
  kind: z.literal('linux', { error: 'must be linux in a Linux OS module section' }).optional(),
  ...sshCredentialsShape,
  rootPasswordEnv: envVarName.optional(),
  operations: stringList.optional(),
  keepRootAuthorizedKeys: booleanSetting.optional(),
  firewall: z.enum(['auto', ...FIREWALL_KINDS] as [string, ...string[]]).optional(),
  managementAddresses: stringList.optional(),
  timeouts: configObject({
    responseMs: durationMs.optional(),
    shutdownMs: durationMs.optional(),
    rebootMs: durationMs.optional(),
    commandMs: durationMs.optional(),
  }).optional(),
}).superRefine(refineSshCredentials);

/** A parsed Linux OS module section. */
export type LinuxOsModuleConfig = z.output<typeof linuxOsModuleConfigSchema>;
