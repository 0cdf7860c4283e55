import { checkAbsolutePath, checkNodeSpec, formatCurrentImageText, parseCurrentImageText, sh, type CurrentImageInfo, type ShellFragment, type NodeOperationOptions, type WriteCurrentImageOptions } from '@provkit/core';
import { commandTimeout, type ModuleContext } from '../module/module-context.ts';
import { guestScript } from '../script/guest-script.ts';
import { CURRENT_IMAGE_PATH } from './current-image-text.ts';

/** `LinuxOsModule.readCurrentImage`. */
export async function readCurrentImage(context: ModuleContext, options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
  const node = checkNodeSpec(options.node);
  const result = await context.runner(node).run(readCurrentImageScript(), { signal: options.signal, timeoutMs: commandTimeout(context) });
  return parseCurrentImageText(result.stdout);
}

/** `LinuxOsModule.writeCurrentImage`: validates (formats) first, then writes under the node's lock. */
export async function writeCurrentImage(context: ModuleContext, options: WriteCurrentImageOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const script = guestScript(writeCurrentImageScript(options.info));
  const runner = context.runner(node);
  await context.serialized(node, options.signal, () => runner.run(script, { signal: options.signal, timeoutMs: commandTimeout(context) }));
}

/** Prints the current-image record, or nothing when the guest has none. */
export function readCurrentImageScript(): ShellFragment {
  return sh`if [ -f ${CURRENT_IMAGE_PATH} ]; then cat ${CURRENT_IMAGE_PATH}; fi`;
}

/** Writes `info` as the current-image record (a guest script's part: it needs the prelude's `pk_fail`). */
export function writeCurrentImageScript(info: CurrentImageInfo): ShellFragment {
  return writeTextScript(CURRENT_IMAGE_PATH, formatCurrentImageText(info));
}

/** Replaces `path` by `text` atomically (a temporary file renamed over it), so a reader never sees half of it. */
function writeTextScript(path: string, text: string): ShellFragment {
  checkAbsolutePath('path', path);
  const temporary = `${path}.provkit-tmp`;
  return sh`printf '%s' ${text} >${temporary} && mv -f ${temporary} ${path} || pk_fail ${`cannot write ${path}`}\n`;
}
