import { InvalidInputError } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import { required, stringFlag, type CommandContext } from './context.ts';

/** `provkit images [--base NAME]`: the image library of the configured host. */
export async function imagesCommand(context: CommandContext): Promise<number> {
  const base = stringFlag(context.flags, 'base');
  const provisioner = await context.provisioner();
  const images = await provisioner.listImages({ signal: context.signal, base });
  context.output.result({ images }, () => {
    if (images.length === 0) return 'no images';
    const rows = images.map((image) => [image.name, image.format, mib(image.virtualBytes), mib(image.allocatedBytes)]);
    return table(['image', 'format', 'virtual', 'allocated'], rows);
  });
  return EXIT.ok;
}

/**
 * `provkit image size|exists|delete|retrieve <image>`: one image of the library.
 * `exists` answers by exit code too (0 it exists, 4 it does not); `retrieve` copies the image
 * from the library another configuration file describes (`--from-config FILE`).
 */
export async function imageCommand(context: CommandContext): Promise<number> {
  const [action, name] = context.positionals;
  if (!action || !['size', 'exists', 'delete', 'retrieve'].includes(action)) throw new InvalidInputError('image', 'usage: provkit image size|exists|delete|retrieve <image>');
  const image = required(name, '<image>');
  const fromConfig = stringFlag(context.flags, 'from-config');
  if (action === 'retrieve' && fromConfig === undefined) throw new InvalidInputError('--from-config', 'is required: the configuration file of the library to copy from');
  const provisioner = await context.provisioner();
  const call = { image, signal: context.signal };
  switch (action) {
    case 'size': {
      const size = await provisioner.getImageSize(call);
      context.output.result({ image, ...size }, () => `${image}: ${mib(size.virtualBytes)} virtual, ${mib(size.allocatedBytes)} allocated`);
      return EXIT.ok;
    }
    case 'exists': {
      const exists = await provisioner.doesImageExist(call);
      context.output.result({ image, exists }, () => `${image}: ${exists ? 'exists' : 'does not exist'}`);
      return exists ? EXIT.ok : EXIT.notFound;
    }
    case 'delete': {
      // Print what the provisioner answers (nothing, or a report such as { deleted }), whatever its shape.
      const answer: unknown = await provisioner.deleteImage(call);
      const report = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>) : {};
      context.output.result({ image, ...report }, () => (report.deleted === false ? `${image}: not in the library, nothing deleted` : `deleted ${image}`));
      return EXIT.ok;
    }
    default: {
      const from = await context.provisionerFrom(fromConfig!);
      const stop = context.output.follow(provisioner.events);
      try {
        await provisioner.retrieveImage({ ...call, from });
      } finally {
        stop();
      }
      context.output.result({ image, retrieved: true, from: fromConfig }, () => `retrieved ${image} from the library of ${fromConfig}`);
      return EXIT.ok;
    }
  }
}

/** `provkit current-image <node>`: the image the provisioner says the node runs (VCL's get_current_image). */
export async function currentImageCommand(context: CommandContext): Promise<number> {
  const node = context.node(context.positionals[0]);
  const provisioner = await context.provisioner();
  const image = await provisioner.getCurrentImage({ node, signal: context.signal });
  context.output.result({ node: node.name, image: image ?? null }, () => `${node.name}: ${image ?? 'no image recorded'}`);
  return image === undefined ? EXIT.notFound : EXIT.ok;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** Left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  return [header, ...rows].map((row) => row.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd()).join('\n');
}
