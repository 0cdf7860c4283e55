import { parseCurrentImageText, type CurrentImageInfo, type NodeSpec } from '@provkit/core';
import { formatCurrentImage } from '../current-image-text.ts';
import type { ModuleContext } from '../module/module-context.ts';
import { outputValue } from '../script-output.ts';
import { readFileScript, writeFileScript } from '../scripts/file-scripts.ts';

/** Reads VCL's `currentimage.txt` (at the configured path); `undefined` when the guest has none. */
export async function readCurrentImage(context: ModuleContext, node: NodeSpec, signal: AbortSignal | undefined): Promise<CurrentImageInfo | undefined> {
  const result = await context.run(node, readFileScript(context.settings.currentImagePath), { signal });
  const content = outputValue(result.stdout, 'content');
  if (content === undefined) return undefined;
  return parseCurrentImageText(Buffer.from(content, 'base64').toString('utf8'));
}

/** Replaces `currentimage.txt` with `info` under the node's lock; bad `info` is refused before the lock. */
export async function writeCurrentImage(context: ModuleContext, node: NodeSpec, info: CurrentImageInfo, signal: AbortSignal | undefined): Promise<void> {
  const text = formatCurrentImage(info);
  await context.serialized(node, signal, () => writeText(context, node, text, signal));
}

/** Replaces `currentimage.txt` with `info`, for an operation that holds the node's lock already. */
export async function recordCurrentImage(context: ModuleContext, node: NodeSpec, info: CurrentImageInfo, signal: AbortSignal | undefined): Promise<void> {
  await writeText(context, node, formatCurrentImage(info), signal);
}

/** The text travels on stdin. */
async function writeText(context: ModuleContext, node: NodeSpec, text: string, signal: AbortSignal | undefined): Promise<void> {
  await context.run(node, writeFileScript(context.settings.currentImagePath), { stdin: text, signal });
}
