import { checkAbsolutePath, checkNodeSpec, formatCurrentImageText, parseCurrentImageText, sh, type CurrentImageInfo, type NodeOperationOptions, type WriteCurrentImageOptions } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { commandTimeout, type ModuleContext } from '../module/module-context.ts';
import { guestScript } from '../script/guest-script.ts';
import { CURRENT_IMAGE_PATH } from './current-image-text.ts';

/** Reads the guest's `/root/currentimage.txt`; `undefined` when it has none. */
export async function readGuestCurrentImage(context: ModuleContext, runner: CommandRunner, signal: AbortSignal | undefined): Promise<CurrentImageInfo | undefined> {
  const result = await runner.run(sh`if [ -f ${CURRENT_IMAGE_PATH} ]; then cat ${CURRENT_IMAGE_PATH}; fi`, { signal, timeoutMs: commandTimeout(context) });
  return parseCurrentImageText(result.stdout);
}

/** Replaces the guest's `/root/currentimage.txt` with `info`, atomically. */
export async function writeGuestCurrentImage(context: ModuleContext, runner: CommandRunner, info: CurrentImageInfo, signal: AbortSignal | undefined): Promise<void> {
  await writeText(context, runner, CURRENT_IMAGE_PATH, formatCurrentImageText(info), signal);
}

/** `LinuxOsModule.readCurrentImage`. */
export async function readCurrentImage(context: ModuleContext, options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
  const node = checkNodeSpec(options.node);
  return readGuestCurrentImage(context, context.runner(node), options.signal);
}

/** `LinuxOsModule.writeCurrentImage`: validates (formats) first, then writes under the node's lock. */
export async function writeCurrentImage(context: ModuleContext, options: WriteCurrentImageOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const text = formatCurrentImageText(options.info);
  const runner = context.runner(node);
  await context.serialized(node, options.signal, () => writeText(context, runner, CURRENT_IMAGE_PATH, text, options.signal));
}

/** Replaces a file atomically (temporary file, then rename), so a reader never sees half of it. */
async function writeText(context: ModuleContext, runner: CommandRunner, path: string, text: string, signal: AbortSignal | undefined): Promise<void> {
  checkAbsolutePath('path', path);
  const temporary = `${path}.provkit-tmp`;
  await runner.run(guestScript(sh`printf '%s' ${text} >${temporary} && mv -f ${temporary} ${path} || pk_fail ${`cannot write ${path}`}\n`), {
    signal,
    timeoutMs: commandTimeout(context),
  });
}
