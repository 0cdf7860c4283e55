import { esxProvisionerConfigSchema } from '@provkit/provisioner-esx';
import { kvmProvisionerConfigSchema } from '@provkit/provisioner-kvm';
import { linuxOsModuleConfigSchema } from '@provkit/os-linux';
import { windowsOsModuleConfigSchema } from '@provkit/os-windows';
import { z } from 'zod';
import { configFileSchema, externalModuleSection } from './config-file-schema.ts';

/**
 * The JSON Schema (draft 2020-12) of the `provkit` configuration file, made from the same
 * schemas the modules check their sections with: editors complete and check a file with it
 * (`# yaml-language-server: $schema=...`). Shipped as `@provkit/cli/config.schema.json` and
 * printed by `provkit config schema`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = configFileSchema({
    provisioner: z.union([
      kvmProvisionerConfigSchema.safeExtend({ kind: z.literal('kvm') }),
      esxProvisionerConfigSchema.safeExtend({ kind: z.literal('esx') }),
      externalModuleSection,
    ]),
    os: z.union([
      linuxOsModuleConfigSchema.safeExtend({ kind: z.literal('linux') }),
      windowsOsModuleConfigSchema.safeExtend({ kind: z.literal('windows') }),
      externalModuleSection,
    ]),
  });
  // Input side: what the file spells (`2 GiB`, `~/.ssh/id`), not what the factories read it as.
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...json, title: 'provkit configuration file' };
}
