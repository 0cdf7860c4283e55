import type { Customization, NodeSpec, PostLoadOptions } from '@provkit/core';
import { readCurrentImage, recordCurrentImage } from '../current-image/current-image-file.ts';
import { waitContextOf, type ModuleContext } from '../module/module-context.ts';
import { waitForBoot } from '../system/node-waits.ts';
import { outputValue } from '../script-output.ts';
import { runArgvScript } from '../scripts/power-scripts.ts';
import { renameComputerScript } from '../scripts/system-scripts.ts';
import { rebootAndWait } from '../system/power.ts';
import { authorizeKeys, createAccount } from '../users/user-operations.ts';

/** A checked post-load request. */
export interface PostLoadRequest {
  image: string;
  customization: Customization;
  signal: AbortSignal | undefined;
  onProgress: PostLoadOptions['onProgress'];
}

/**
 * After a load: waits for the guest, renames it (restarting when the name changed), creates the
 * customization's users, authorizes its keys, runs the first-boot command, then records
 * post-load done for the image in `currentimage.txt`.
 */
export async function postLoad(context: ModuleContext, node: NodeSpec, request: PostLoadRequest): Promise<void> {
  const { image, customization, signal } = request;
  const { waitTimeoutMs, commandTimeoutMs } = context.settings;
  const progress = context.progress('postLoad', node.name, request.onProgress);
  await context.serialized(node, signal, async () => {
    await waitForBoot(waitContextOf(context, node), waitTimeoutMs, signal, () => true);
    progress.step('responding');
    if (customization.hostname !== undefined) {
      const renamed = await context.run(node, renameComputerScript(customization.hostname), { signal });
      if (outputValue(renamed.stdout, 'renamed') === 'true') {
        await rebootAndWait(context, node, waitTimeoutMs, signal);
        progress.step('hostname-set', `renamed to ${customization.hostname} and restarted`);
      } else progress.step('hostname-set', `already ${customization.hostname}`);
    }
    for (const user of customization.users ?? []) {
      await createAccount(context, node, user, signal);
      progress.step('user-created', user.username);
    }
    if (customization.sshAuthorizedKeys && customization.sshAuthorizedKeys.length > 0) {
      await authorizeKeys(context, node, customization.sshAuthorizedKeys, signal);
      progress.step('keys-authorized', `${customization.sshAuthorizedKeys.length} key(s)`);
    }
    if (customization.firstBootCommand) {
      await context.run(node, runArgvScript(customization.firstBootCommand), { signal, timeoutMs: Math.max(commandTimeoutMs, 30 * 60_000) });
      progress.step('first-boot-command-done');
    }
    const current = await readCurrentImage(context, node, signal);
    const properties = current?.image === image ? current.properties : {};
    await recordCurrentImage(context, node, { image, properties, postLoadDone: true }, signal);
    progress.step('post-load-done', image);
  });
}
