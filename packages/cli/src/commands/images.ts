import type { CommandContext } from './context.ts';

/** `provkit images`: the image library of the configured host. */
export async function imagesCommand(context: CommandContext): Promise<number> {
  const provisioner = await context.provisioner();
  const images = await provisioner.listImages({ signal: context.signal });
  context.output.result({ images }, () => {
    if (images.length === 0) return 'no images';
    const rows = images.map((image) => [image.name, image.format, mib(image.virtualBytes), mib(image.allocatedBytes)]);
    return table(['image', 'format', 'virtual', 'allocated'], rows);
  });
  return 0;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** Left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  return [header, ...rows].map((row) => row.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd()).join('\n');
}
