import { booleanSetting, configObject, durationMs, envVarName, nonEmptyString } from '@provkit/core';
import { refineSshCredentials, sshCredentialsShape } from '@provkit/runners';
import { z } from 'zod';

/** `unattend:` of a Windows section: the answer file's settings (see `UnattendOptions`); the password comes from `administratorPasswordEnv`. */
const unattendSchema = configObject({
  processorArchitecture: z.enum(['amd64', 'arm64', 'x86']).optional(),
  persistAllDeviceInstalls: booleanSetting.optional(),
  doNotCleanUpNonPresentDevices: booleanSetting.optional(),
  skipRearm: booleanSetting.optional(),
  computerName: nonEmptyString.optional(),
  timeZone: nonEmptyString.optional(),
  productKey: nonEmptyString.optional(),
  runSynchronous: z.array(configObject({ path: nonEmptyString, description: nonEmptyString.optional() }), { error: 'must be a list of { path, description }' }).optional(),
  networkLocation: z.enum(['Home', 'Work', 'Other']).optional(),
  protectYourPC: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
  hideAccountScreens: booleanSetting.optional(),
  promptForAdministratorPassword: booleanSetting.optional(),
  driverPaths: z.array(nonEmptyString).optional(),
});

/**
 * The `os:` section with `kind: windows`: the SSH settings used for every guest (the user
 * defaults to `Administrator`), plus the module's own. `createWindowsOsModule` parses with
 * it; the CLI's JSON Schema is made from it.
 */
export const windowsOsModuleConfigSchema = configObject({
  kind: z.literal('windows', { error: 'must be windows in a Windows OS module section' }).optional(),
  ...sshCredentialsShape,
  /**
   * Environment variable holding the built-in Administrator's password. `preCapture` requires
   * it unless `unattend.promptForAdministratorPassword` is true.
   */
  administratorPasswordEnv: envVarName.optional(),
  unattend: unattendSchema.optional(),
  currentImagePath: nonEmptyString.optional(),
  unattendPath: nonEmptyString.optional(),
  sysprepVmMode: booleanSetting.optional(),
  commandTimeoutMs: durationMs.optional(),
  sysprepTimeoutMs: durationMs.optional(),
  waitTimeoutMs: durationMs.optional(),
}).superRefine(refineSshCredentials);

/** The `os:` section for Windows guests as the file spells it (see {@link windowsOsModuleConfigSchema}). */
export type WindowsOsModuleConfig = z.input<typeof windowsOsModuleConfigSchema>;
