import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmitter, InvalidInputError, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import { defaultConfigPath, loadConfig, nodeFromConfig, type CliConfig } from './config.ts';
import { configCommand } from './commands/config-command.ts';
import type { CommandContext } from './commands/context.ts';
import { currentImageCommand, imageCommand, imagesCommand } from './commands/images.ts';
import { leftoversCommand } from './commands/leftovers-command.ts';
import { FLEET_USAGE, fleetCommands } from './commands/fleet-commands.ts';
import { labCommand } from './commands/lab.ts';
import { captureCommand, loadCommand, powerCommand, statusCommand, unloadCommand } from './commands/node-commands.ts';
import { osCommand } from './commands/os-commands.ts';
import { SERVE_USAGE, serveCommand } from './commands/serve-command.ts';
import { EXIT, EXIT_MEANINGS, exitCodeFor } from './exit-codes.ts';
import { createOsModule, createProvisioner } from './modules.ts';
import { createOutput } from './output.ts';

/** `provkit --help`. */
export const USAGE = `usage: provkit <command> [options]

provisioner (the configured host):
  status <node> [--image I]                 is the node ready? (exit 0 ready, 3 not ready)
  load <node> <image> [--cpus N] [--memory 2GiB] [--disk 20GiB] [--full-copy]
  capture <node> <image> [--end-state off|on|reboot]
  unload <node>                             power off, undefine, delete its disks (idempotent)
  power on|off|reset|status <node> [--mode graceful|hard] [--timeout MS]
  current-image <node>                      the image the node was loaded with (exit 4: none)
  images [--base NAME]                      list the image library
  image size|exists|delete <image>          one image (exists: exit 0 yes, 4 no)
  image retrieve <image> --from-config FILE copy an image from another library
  leftovers [--remove]                      what provkit left on the host (KVM); removes only with --remove

OS module (the guest, over SSH):
  os wait <node> [--timeout MS]
  os post-load <node> <image>
  os pre-capture <node> [--end-state off|on|reboot] [--timeout MS]
  os add-user <node> <user> [--admin] [--ssh-key FILE]... [password source]
  os delete-user <node> <user> [--remove-home]
  os set-password <node> <user> <password source>
  os randomize-passwords <node>             prints whose passwords changed, never the passwords
  os grant-access|revoke-access <node> <remote-ip> --port N [--port N]...
  os read-image <node>                      currentimage.txt (exit 4: none)
  os write-image <node> <image> [--property k=v]... [--post-load-done]
  os shutdown|reboot <node> [--timeout MS]

other:
  config check                              check the file and build its modules, without connecting
  config schema                             print the configuration file's JSON Schema
  lab up|down|status [service...]           the local lab of real peers (from a provkit checkout)

${FLEET_USAGE}

${SERVE_USAGE}

options:
  --config FILE     configuration (YAML/JSON; default $PROVKIT_CONFIG or ./provkit.yaml)
  --address H[:P]   the node's SSH address, overriding the configuration
  --json            machine-readable output on stdout (progress as JSON lines on stderr)
  -h, --help        this text
password source (never the password itself: argv is visible to every user):
  --password-env VAR | --password-file FILE | --password-stdin
sizes: KiB MiB GiB TiB are binary (1024), KB MB GB TB decimal (1000), any case: 2GiB, 2gb

exit codes: ${EXIT_MEANINGS.map(([code, meaning]) => `${code} ${meaning}`).join(', ')}`;

const commands: Record<string, (context: CommandContext) => Promise<number>> = {
  status: statusCommand,
  load: loadCommand,
  capture: captureCommand,
  unload: unloadCommand,
  power: powerCommand,
  'current-image': currentImageCommand,
  images: imagesCommand,
  image: imageCommand,
  leftovers: leftoversCommand,
  os: osCommand,
  config: configCommand,
};

/** Where the CLI runs, for embedding and tests. */
export interface MainOptions {
  /** The working directory: relative `--config` paths and `module:<package>` are found from it (default `process.cwd()`). */
  cwd?: string;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], signal: AbortSignal = new AbortController().signal, options: MainOptions = {}): Promise<number> {
  const cwd = options.cwd ?? process.cwd();
  let output = createOutput(argv.includes('--json'));
  // Errors from reading the file or building its modules: a configuration error, not bad usage.
  const configurationErrors = new WeakSet<object>();
  const asConfiguration = async <T>(build: () => T | Promise<T>): Promise<T> => {
    try {
      return await build();
    } catch (error) {
      if (typeof error === 'object' && error !== null) configurationErrors.add(error);
      throw error;
    }
  };
  try {
    const fleet = fleetCommands[argv[0] ?? ''];
    if (fleet) return await fleet(argv.slice(1), signal);
    if (argv[0] === 'serve') return await serveCommand(argv.slice(1), signal, cwd);
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
        base: { type: 'string' },
        cpus: { type: 'string' },
        memory: { type: 'string' },
        disk: { type: 'string' },
        'full-copy': { type: 'boolean', default: false },
        'end-state': { type: 'string' },
        mode: { type: 'string' },
        timeout: { type: 'string' },
        'from-config': { type: 'string' },
        admin: { type: 'boolean', default: false },
        'ssh-key': { type: 'string', multiple: true },
        'remove-home': { type: 'boolean', default: false },
        'password-env': { type: 'string' },
        'password-file': { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        port: { type: 'string', multiple: true },
        property: { type: 'string', multiple: true },
        'post-load-done': { type: 'boolean', default: false },
        remove: { type: 'boolean', default: false },
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
    const getConfig = (): CliConfig => {
      if (config) return config;
      try {
        return (config = loadConfig(resolve(cwd, values.config ?? defaultConfigPath())));
      } catch (error) {
        if (typeof error === 'object' && error !== null) configurationErrors.add(error);
        throw error;
      }
    };
    // One emitter for both modules, so a load's or capture's progress shows the OS module's steps too.
    const events = createEmitter();
    const made: { provisioner?: Promise<ProvisionerV1>; os?: Promise<OsModuleV1 | undefined>; others: Array<Promise<ProvisionerV1>> } = { others: [] };
    const osModule = (): Promise<OsModuleV1 | undefined> =>
      (made.os ??= asConfiguration(() => {
        const os = getConfig().os;
        return os ? createOsModule(os, { events }, cwd) : undefined;
      }));
    const context: CommandContext = {
      positionals: rest,
      flags: values,
      output,
      signal,
      provisioner: () =>
        (made.provisioner ??= (async () => {
          const os = await osModule();
          return asConfiguration(() => createProvisioner(getConfig().provisioner, { events, osModule: os }, cwd));
        })()),
      osModule,
      provisionerFrom: (path) => {
        const other = asConfiguration(() => createProvisioner(loadConfig(resolve(cwd, path)).provisioner, { events }, cwd));
        made.others.push(other);
        return other;
      },
      node: (nodeName) => {
        if (!nodeName) throw new InvalidInputError('<node>', 'is required (see provkit --help)');
        return nodeFromConfig(getConfig(), nodeName, values.address);
      },
    };
    try {
      return await command(context);
    } finally {
      await Promise.allSettled([made.provisioner?.then((module) => module.close()), made.os?.then((module) => module?.close()), ...made.others.map((other) => other.then((module) => module.close()))]);
    }
  } catch (caught) {
    const error = parseArgsError(caught) ?? caught;
    output.error(error);
    return exitCodeFor(error, { configuration: typeof error === 'object' && error !== null && configurationErrors.has(error) });
  }
}

/** node:util's parseArgs errors (unknown option, missing value) as bad input. */
function parseArgsError(error: unknown): InvalidInputError | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  return new InvalidInputError('arguments', `${(error as Error).message} (see provkit --help)`, { cause: error });
}
