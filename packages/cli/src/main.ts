import { parseArgs } from 'node:util';
import { createEmitter, InvalidInputError, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import { defaultConfigPath, loadConfig, nodeFromConfig, type CliConfig } from './config.ts';
import type { CommandContext } from './commands/context.ts';
import { FLEET_USAGE, fleetCommands } from './commands/fleet-commands.ts';
import { imagesCommand } from './commands/images.ts';
import { labCommand } from './commands/lab.ts';
import { captureCommand, loadCommand, statusCommand, unloadCommand } from './commands/node-commands.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { createOsModule, createProvisioner } from './modules.ts';
import { createOutput } from './output.ts';

/** `provkit --help`. */
export const USAGE = `usage: provkit <command> [options]

commands:
  status <node> [--image I]            is the node ready? (exit 0 ready, 3 not ready)
  load <node> <image> [--cpus N --memory 1GiB] [--disk 20GiB] [--full-copy]
  capture <node> <image> [--end-state off|on|reboot]
  unload <node>                        power off, undefine, delete its disks (idempotent)
  images                               list the image library
  lab up|down|status [service...]      the local lab of real peers (from a provkit checkout)
${FLEET_USAGE}

options:
  --config FILE     configuration (YAML/JSON; default $PROVKIT_CONFIG or ./provkit.yaml)
  --address H[:P]   the node's SSH address, overriding the configuration
  --json            machine-readable output on stdout (progress as JSON lines on stderr)
  -h, --help        this text

exit codes: 0 ok, 1 failure, 2 bad input, 3 not ready, 4 not found, 5 timeout,
            6 host key / certificate refused, 7 image exists, 130 interrupted`;

const commands: Record<string, (context: CommandContext) => Promise<number>> = {
  status: statusCommand,
  load: loadCommand,
  capture: captureCommand,
  unload: unloadCommand,
  images: imagesCommand,
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], signal: AbortSignal = new AbortController().signal): Promise<number> {
  let output = createOutput(argv.includes('--json'));
  try {
    const fleet = fleetCommands[argv[0] ?? ''];
    if (fleet) return await fleet(argv.slice(1), signal);
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        address: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        image: { type: 'string' },
        cpus: { type: 'string' },
        memory: { type: 'string' },
        disk: { type: 'string' },
        'full-copy': { type: 'boolean', default: false },
        'end-state': { type: 'string' },
      },
    });
    output = createOutput(values.json ?? false);
    const [name, ...rest] = positionals;
    if (values.help || !name) {
      console.log(USAGE);
      return name || values.help ? EXIT.ok : EXIT.usage;
    }
    if (name === 'lab') return await labCommand(rest, signal);
    const command = commands[name];
    if (!command) throw new InvalidInputError('command', `unknown command ${JSON.stringify(name)} (see provkit --help)`);
    let config: CliConfig | undefined;
    const getConfig = (): CliConfig => (config ??= loadConfig(values.config ?? defaultConfigPath()));
    // One emitter for both modules, so a load's or capture's progress shows the OS module's steps too.
    const events = createEmitter();
    const made: { provisioner?: Promise<ProvisionerV1>; os?: Promise<OsModuleV1 | undefined> } = {};
    const osModule = (): Promise<OsModuleV1 | undefined> => {
      const os = getConfig().os;
      return (made.os ??= os ? createOsModule(os, { events }) : Promise.resolve(undefined));
    };
    const context: CommandContext = {
      positionals: rest,
      flags: values,
      output,
      signal,
      provisioner: () =>
        (made.provisioner ??= (async () => {
          const os = await osModule();
          return createProvisioner(getConfig().provisioner, { events, ...(os ? { osModule: os } : {}) });
        })()),
      osModule,
      node: (nodeName) => {
        if (!nodeName) throw new InvalidInputError('<node>', 'is required');
        return nodeFromConfig(getConfig(), nodeName, values.address);
      },
    };
    try {
      return await command(context);
    } finally {
      await Promise.allSettled([made.provisioner?.then((module) => module.close()), made.os?.then((module) => module?.close())]);
    }
  } catch (caught) {
    const error = parseArgsError(caught) ?? caught;
    output.error(error);
    return exitCodeFor(error);
  }
}

/** node:util's parseArgs errors (unknown option, missing value) as bad input. */
function parseArgsError(error: unknown): InvalidInputError | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  return new InvalidInputError('arguments', `${(error as Error).message} (see provkit --help)`, { cause: error });
}
