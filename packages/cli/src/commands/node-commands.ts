import { InvalidInputError, type EndState, type SizeSpec } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import { parseBytes, parseWholeNumber } from '../units.ts';
import { choiceFlag, required, stringFlag, type CommandContext, type Flags } from './context.ts';

/** `provkit status <node> [--image I]`: VCL's node_status; exit 0 when ready, 3 otherwise. */
export async function statusCommand(context: CommandContext): Promise<number> {
  const provisioner = await context.provisioner();
  const node = context.node(context.positionals[0]);
  const image = stringFlag(context.flags, 'image');
  const status = await provisioner.nodeStatus({ node, signal: context.signal, image });
  context.output.result(status, () => `${node.name}: ${status.status} (power ${status.power}, ssh ${status.ssh ? 'up' : 'down'}${status.currentImage ? `, image ${status.currentImage}` : ''}) — ${status.detail}`);
  return status.status === 'ready' ? EXIT.ok : EXIT.notReady;
}

/**
 * The size flags of `load`. Each one given overrides the provisioner's `defaultSize` (or the
 * image's own hardware), so `--disk 40GiB` alone grows the disk and keeps cpus and memory.
 */
export function sizeFromFlags(flags: Flags): Partial<SizeSpec> | undefined {
  const cpus = stringFlag(flags, 'cpus');
  const memory = stringFlag(flags, 'memory');
  const disk = stringFlag(flags, 'disk');
  if (cpus === undefined && memory === undefined && disk === undefined) return undefined;
  return {
    ...(cpus !== undefined ? { cpus: parseWholeNumber('--cpus', cpus, { max: 256 }) } : {}),
    ...(memory !== undefined ? { memoryBytes: parseBytes('--memory', memory) } : {}),
    ...(disk !== undefined ? { diskBytes: parseBytes('--disk', disk) } : {}),
  };
}

/** `provkit load <node> <image> [--cpus N] [--memory 2GiB] [--disk 20GiB] [--full-copy]`. */
export async function loadCommand(context: CommandContext): Promise<number> {
  const node = context.node(context.positionals[0]);
  const image = required(context.positionals[1], '<image>');
  const size = sizeFromFlags(context.flags);
  const provisioner = await context.provisioner();
  const osModule = await context.osModule();
  const stop = context.output.follow(provisioner.events);
  try {
    const result = await provisioner.load({
      node,
      image,
      signal: context.signal,
      diskMode: context.flags['full-copy'] ? 'full' : 'linked',
      // Provisioners fill what a partial size leaves out from their defaultSize.
      ...(size ? { size: size as SizeSpec } : {}),
      osModule,
    });
    context.output.result(result, () => `loaded ${image} on ${node.name} in ${(result.durationMs / 1000).toFixed(1)} s${result.address ? ` (ssh ${result.address.host}:${result.address.port})` : ''}`);
  } finally {
    stop();
  }
  return EXIT.ok;
}

/** `provkit capture <node> <image> [--end-state off|on|reboot]`. */
export async function captureCommand(context: CommandContext): Promise<number> {
  const node = context.node(context.positionals[0]);
  const image = required(context.positionals[1], '<image>');
  const endState = choiceFlag<EndState>(context.flags, 'end-state', ['off', 'on', 'reboot'], 'off');
  const provisioner = await context.provisioner();
  const osModule = await context.osModule();
  const stop = context.output.follow(provisioner.events);
  try {
    const result = await provisioner.capture({ node, image, endState, signal: context.signal, osModule });
    context.output.result(result, () => `captured ${node.name} as ${result.image} (${(result.sizeBytes / 1024 / 1024).toFixed(0)} MiB) in ${(result.durationMs / 1000).toFixed(1)} s`);
  } finally {
    stop();
  }
  return EXIT.ok;
}

/** `provkit unload <node>`: power off, undefine, delete the node's disks; idempotent. */
export async function unloadCommand(context: CommandContext): Promise<number> {
  const node = context.node(context.positionals[0]);
  const provisioner = await context.provisioner();
  const stop = context.output.follow(provisioner.events);
  try {
    await provisioner.unload({ node, signal: context.signal });
  } finally {
    stop();
  }
  context.output.result({ node: node.name, unloaded: true }, () => `unloaded ${node.name}`);
  return EXIT.ok;
}

/** `provkit power on|off|reset|status <node> [--mode graceful|hard] [--timeout MS]`. */
export async function powerCommand(context: CommandContext): Promise<number> {
  const [action, name] = context.positionals;
  if (!action || !['on', 'off', 'reset', 'status'].includes(action)) throw new InvalidInputError('power', 'usage: provkit power on|off|reset|status <node>');
  const node = context.node(name);
  const mode = choiceFlag(context.flags, 'mode', ['graceful', 'hard'], 'graceful');
  const timeoutText = stringFlag(context.flags, 'timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseWholeNumber('--timeout', timeoutText);
  const provisioner = await context.provisioner();
  const call = { node, signal: context.signal };
  if (action === 'status') {
    const power = await provisioner.powerStatus(call);
    context.output.result({ node: node.name, power }, () => `${node.name}: ${power}`);
    return EXIT.ok;
  }
  const stop = context.output.follow(provisioner.events);
  try {
    if (action === 'on') await provisioner.powerOn(call);
    else if (action === 'reset') await provisioner.powerReset(call);
    else await provisioner.powerOff({ ...call, mode, timeoutMs });
  } finally {
    stop();
  }
  const power = await provisioner.powerStatus(call);
  context.output.result({ node: node.name, action, power }, () => `${node.name}: power ${action} done (now ${power})`);
  return EXIT.ok;
}
