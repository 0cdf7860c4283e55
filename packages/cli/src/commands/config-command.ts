import { InvalidInputError } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import type { CommandContext } from './context.ts';

/**
 * `provkit config check`: reads the configuration file and builds its modules as every command
 * would (each checks its section: settings, key and known_hosts files), without connecting.
 * `provkit config schema`: prints the JSON Schema of the file, for editors.
 */
export async function configCommand(context: CommandContext): Promise<number> {
  const [action] = context.positionals;
  if (action === 'schema') {
    const { configJsonSchema } = await import('../config-json-schema.ts');
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return EXIT.ok;
  }
  if (action !== 'check') throw new InvalidInputError('config', 'usage: provkit config check|schema');
  const provisioner = await context.provisioner();
  const osModule = await context.osModule();
  const summary = { provisioner: provisioner.provider, os: osModule?.os ?? null };
  context.output.result({ valid: true, ...summary }, () => `configuration is valid: provisioner ${summary.provisioner}${summary.os ? `, OS module ${summary.os}` : ''}`);
  return EXIT.ok;
}
