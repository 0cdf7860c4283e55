import { configObject, hostSetting, NAME_PATTERN, portSetting } from '@provkit/core';
import { fleetSectionSchema } from '@provkit/fleet';
import { z } from 'zod';

/** The kinds the CLI ships; anything else is `module:<package>`. */
export const PROVISIONER_KINDS = ['kvm', 'esx'] as const;
/** The OS module kinds the CLI ships. */
export const OS_MODULE_KINDS = ['linux', 'windows'] as const;

const MODULE_KIND = /^module:(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/i;

/** `kind: module:<package>`: a third-party module; its own factory checks the rest of its section. */
export const externalModuleSection = z.looseObject({
  kind: z.string().regex(MODULE_KIND, { error: 'must be module:<package> for a third-party module' }),
});

/** A section whose kind names a module; its factory checks the rest (see each module's schema). */
function moduleSection(kinds: readonly string[]): z.ZodType<{ kind: string; [setting: string]: unknown }> {
  const kind = z.string({ error: `is required: ${kinds.join(', ')} or module:<package>` }).refine((value) => kinds.includes(value) || MODULE_KIND.test(value), {
    error: (issue) => `${JSON.stringify(issue.input)} is not ${kinds.join(', ')} or module:<package>`,
  });
  return z.looseObject({ kind });
}

/** `nodes: { web-1: { address: { host, port }, mac } }`. */
const nodesSchema = z.record(
  z.string().regex(NAME_PATTERN, { error: 'node names are letters, digits, ".", "_", "-"' }),
  configObject({
    address: configObject({ host: hostSetting, port: portSetting.optional() }).optional(),
    mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i, { error: 'must be a MAC address like 52:54:00:12:34:56' }).optional(),
  }),
);

/**
 * The configuration file's shape around the module sections. The CLI checks a file with
 * loose sections (each module's factory checks its own, and only the configured module is
 * loaded); the published JSON Schema passes the modules' full schemas. One definition for both.
 */
export function configFileSchema<P extends z.ZodType, O extends z.ZodType>(sections: { provisioner: P; os: O }) {
  return configObject({
    provisioner: sections.provisioner,
    os: sections.os.optional(),
    nodes: nodesSchema.optional(),
    fleet: fleetSectionSchema.optional(),
  });
}

/** The schema the CLI checks a file with before building its modules. */
export const cliConfigSchema = configFileSchema({ provisioner: moduleSection(PROVISIONER_KINDS), os: moduleSection(OS_MODULE_KINDS) });
