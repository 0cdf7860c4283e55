import { checkImageName, checkNodeSpec, checkSshPublicKey, describeValue, InvalidInputError, parseCurrentImageText, postLoadRecord, sh, shellJoin, UnsupportedFunctionalityError, type CurrentImageInfo, type Customization, type NodeSpec, type PostLoadOptions } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { readCurrentImageScript, writeCurrentImageScript } from '../current-image/current-image-file.ts';
import { guestScript } from '../script/guest-script.ts';
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
    // Read-only checks first, so a refusal leaves the guest untouched. What the guest holds is
    // read in one command: under a slow guest every command is a fork and exec or two.
    await refuseGuestSystemAccounts(context, runner, users, 'give keys, a password or sudo to', options.signal);
    const held = await readGuestState(runner, run);
    const hostname = requested ?? defaultHostname(held.hostnameFile, node);
    const properties = held.current?.image === image ? { ...held.current.properties } : {};
    properties.vcld_post_load = postLoadRecord(new Date());
    const record = writeCurrentImageScript({ image, properties, postLoadDone: true });
    // With nothing to do between the host keys and the record, both go in one command.
    const recordWithKeys = hostname === undefined && users.length === 0 && rootKeys.length === 0 && command === undefined;
    const keys = await runGuestScript(runner, guestScript(recordWithKeys ? sh`${ensureHostKeysScript()}${record}` : ensureHostKeysScript()), run);
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
    if (!recordWithKeys) await runner.run(guestScript(record), run);
    progress.step('post-load-done', image);
  });
}

/** The guest's /etc/hostname (as {@link readHostnameFileScript} prints it) and its current-image record, in one command. */
async function readGuestState(runner: CommandRunner, run: { signal: AbortSignal | undefined; timeoutMs: number }): Promise<{ hostnameFile: string; current: CurrentImageInfo | undefined }> {
  // The hostname's white space is deleted, so it ends at the first newline; the record follows.
  const { stdout } = await runner.run(sh`${readHostnameFileScript()}; echo; ${readCurrentImageScript()}`, run);
  const newline = stdout.indexOf('\n');
  return { hostnameFile: stdout.slice(0, newline), current: parseCurrentImageText(stdout.slice(newline + 1)) };
}

/** The node name when the guest's /etc/hostname is empty, else `undefined` (keep the guest's). */
function defaultHostname(hostnameFile: string, node: NodeSpec): string | undefined {
  if (hostnameFile !== '') return undefined;
  const name = nodeNameAsHostname(node.name);
  if (typeof name !== 'string') {
    throw new InvalidInputError('node.name', `the guest has no hostname and ${describeValue(node.name)} cannot be one: give customization.hostname (${name.message})`);
  }
  return name;
}
