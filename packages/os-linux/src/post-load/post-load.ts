import { checkImageName, checkNodeSpec, checkSshPublicKey, describeValue, InvalidInputError, postLoadRecord, shellJoin, UnsupportedFunctionalityError, type Customization, type NodeSpec, type PostLoadOptions } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { readGuestCurrentImage, writeGuestCurrentImage } from '../current-image/current-image-file.ts';
import { commandTimeout, type ModuleContext } from '../module/module-context.ts';
import { checkHostname, nodeNameAsHostname } from '../module/node-input.ts';
import { summarizeActions } from '../script/actions.ts';
import { runGuestScript } from '../script/run-guest-script.ts';
import { addRootAuthorizedKeysScript, ensureHostKeysScript, readHostnameFileScript, setHostnameScript } from '../system/system-scripts.ts';
import { createGuestUser, refuseGuestSystemAccounts } from '../users/user-operations.ts';
import { checkUser, type ValidUser } from '../users/valid-user.ts';

/** A customization after validation. */
export interface ValidCustomization {
  hostname: string | undefined;
  users: ValidUser[];
  rootKeys: string[];
  command: readonly string[] | undefined;
}

/**
 * Checks a customization as `postLoad` would (the base shape first, then host name, users,
 * keys, passwords), naming the field, without touching a guest.
 */
export function checkLinuxCustomization(context: ModuleContext, customization: Customization): ValidCustomization {
  context.checkCustomizationShape(customization);
  if ((customization.users?.length ?? 0) > 0 && !context.capabilities.users) throw new UnsupportedFunctionalityError('customization.users', `this ${context.os} OS module (users capability off)`);
  const hostname = customization.hostname === undefined ? undefined : checkHostname('customization.hostname', customization.hostname);
  const users = (customization.users ?? []).map((user, index) => checkUser(user, `customization.users[${index}]`));
  const rootKeys = (customization.sshAuthorizedKeys ?? []).map((key, index) => checkSshPublicKey(`customization.sshAuthorizedKeys[${index}]`, key));
  return { hostname, users, rootKeys, command: customization.firstBootCommand };
}

/** `LinuxOsModule.postLoad`: read-only checks first, then host keys, hostname, users, keys, command, post-load record. */
export async function postLoad(context: ModuleContext, options: PostLoadOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const image = checkImageName('image', options.image);
  const { hostname: requested, users, rootKeys, command } = checkLinuxCustomization(context, options.customization ?? {});
  const runner = context.runner(node);
  const progress = context.progress('postLoad', node.name, options.onProgress);
  await context.serialized(node, options.signal, async () => {
    const run = { signal: options.signal, timeoutMs: commandTimeout(context) };
    // Read-only checks first, so a refusal leaves the guest untouched.
    const hostname = requested ?? (await defaultHostname(runner, node, run));
    await refuseGuestSystemAccounts(context, runner, users, 'give keys, a password or sudo to', options.signal);
    const keys = await runGuestScript(runner, ensureHostKeysScript(), run);
    progress.step('host-keys', summarizeActions(keys.actions));
    if (hostname !== undefined) {
      await runGuestScript(runner, setHostnameScript(hostname), run);
      progress.step('hostname-set', requested === undefined ? `${hostname} (the node name: the image has none)` : hostname);
    }
    for (const user of users) {
      await createGuestUser(context, runner, user, options.signal);
      progress.step('user-created', user.username);
    }
    if (rootKeys.length > 0) {
      await runGuestScript(runner, addRootAuthorizedKeysScript(rootKeys), run);
      progress.step('root-keys-added', `${rootKeys.length} key(s)`);
    }
    if (command !== undefined) {
      await runner.run(command, run);
      progress.step('first-boot-command-done', shellJoin(command));
    }
    const current = await readGuestCurrentImage(context, runner, options.signal);
    const properties = current?.image === image ? { ...current.properties } : {};
    properties.vcld_post_load = postLoadRecord(new Date());
    await writeGuestCurrentImage(context, runner, { image, properties, postLoadDone: true }, options.signal);
    progress.step('post-load-done', image);
  });
}

/** The node name when the guest's /etc/hostname is empty, else `undefined` (keep the guest's). */
async function defaultHostname(runner: CommandRunner, node: NodeSpec, run: { signal: AbortSignal | undefined; timeoutMs: number }): Promise<string | undefined> {
  const current = (await runner.run(readHostnameFileScript(), run)).stdout.trim();
  if (current !== '') return undefined;
  const name = nodeNameAsHostname(node.name);
  if (name instanceof InvalidInputError) {
    throw new InvalidInputError('node.name', `the guest has no hostname and ${describeValue(node.name)} cannot be one: give customization.hostname (${name.message})`);
  }
  return name;
}
