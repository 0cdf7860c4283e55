import { InvalidInputError, type EndState, type SizeSpec } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import { parseBytes } from '../units.ts';
import type { CommandContext } from './context.ts';

function required(value: string | undefined, what: string): string {
  if (!value) throw new InvalidInputError(what, 'is required');
  return value;
}

/** `provkit status <node> [--image I]`: VCL's node_status; exit 0 when ready, 3 otherwise. */
export async function statusCommand(context: CommandContext): Promise<number> {
  const provisioner = await context.provisioner();
  const node = context.node(context.positionals[0]);
  const image = context.flags.image;
  const status = await provisioner.nodeStatus({ node, signal: context.signal, ...(typeof image === 'string' ? { image } : {}) });
  context.output.result(status, () => `${node.name}: ${status.status} (power ${status.power}, ssh ${status.ssh ? 'up' : 'down'}${status.currentImage ? `, image ${status.currentImage}` : ''}) — ${status.detail}`);
  return status.status === 'ready' ? EXIT.ok : EXIT.notReady;
}

/** `provkit load <node> <image> [--cpus N] [--memory 1GiB] [--disk 20GiB] [--full-copy]`. */
export async function loadCommand(context: CommandContext): Promise<number> {
  const provisioner = await context.provisioner();
  const osModule = await context.osModule();
  const node = context.node(context.positionals[0]);
  const image = required(context.positionals[1], '<image>');
  const { cpus, memory, disk } = context.flags;
  let size: SizeSpec | undefined;
  if (cpus !== undefined || memory !== undefined || disk !== undefined) {
    if (typeof cpus !== 'string' || typeof memory !== 'string') throw new InvalidInputError('--cpus/--memory', 'give both to set a size');
    size = { cpus: Number(cpus), memoryBytes: parseBytes('--memory', memory), ...(typeof disk === 'string' ? { diskBytes: parseBytes('--disk', disk) } : {}) };
  }
  const stop = context.output.follow(provisioner.events);
  try {
    const result = await provisioner.load({
      node,
      image,
      signal: context.signal,
      diskMode: context.flags['full-copy'] ? 'full' : 'linked',
      ...(size ? { size } : {}),
      ...(osModule ? { osModule } : {}),
    });
    context.output.result(result, () => `loaded ${image} on ${node.name} in ${(result.durationMs / 1000).toFixed(1)} s${result.address ? ` (ssh ${result.address.host}:${result.address.port})` : ''}`);
  } finally {
    stop();
  }
  return EXIT.ok;
}

/** `provkit capture <node> <image> [--end-state off|on|reboot]`. */
export async function captureCommand(context: CommandContext): Promise<number> {
  const provisioner = await context.provisioner();
  const osModule = await context.osModule();
  const node = context.node(context.positionals[0]);
  const image = required(context.positionals[1], '<image>');
  const endState = (context.flags['end-state'] ?? 'off') as EndState;
  if (!['on', 'off', 'reboot'].includes(endState)) throw new InvalidInputError('--end-state', `${endState} is not on, off or reboot`);
  const stop = context.output.follow(provisioner.events);
  try {
    const result = await provisioner.capture({ node, image, endState, signal: context.signal, ...(osModule ? { osModule } : {}) });
    context.output.result(result, () => `captured ${node.name} as ${result.image} (${(result.sizeBytes / 1024 / 1024).toFixed(0)} MiB) in ${(result.durationMs / 1000).toFixed(1)} s`);
  } finally {
    stop();
  }
  return EXIT.ok;
}

/** `provkit unload <node>`: power off, undefine, delete the node's disks; idempotent. */
export async function unloadCommand(context: CommandContext): Promise<number> {
  const provisioner = await context.provisioner();
  const node = context.node(context.positionals[0]);
  const stop = context.output.follow(provisioner.events);
  try {
    await provisioner.unload({ node, signal: context.signal });
  } finally {
    stop();
  }
  context.output.result({ node: node.name, unloaded: true }, () => `unloaded ${node.name}`);
  return EXIT.ok;
}
