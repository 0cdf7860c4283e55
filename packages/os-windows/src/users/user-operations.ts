import { Secret, type CreateUserOptions, type Customization, type NodeSpec, type RandomizedPasswords } from '@provkit/core';
import type { ModuleContext } from '../module/module-context.ts';
import { outputValues } from '../script-output.ts';
import { authorizeAdministratorKeysScript, createUserScript, deleteUserScript, listAdministratorsScript, setPasswordsScript } from '../scripts/user-scripts.ts';
import { complexPassword } from '../windows-inputs.ts';

/** A user to create: from `createUser` or from a load customization. */
export type UserSpec = CreateUserOptions | NonNullable<Customization['users']>[number];

/** Creates (or brings to this spec) a local account under the node's lock. */
export async function createUser(context: ModuleContext, node: NodeSpec, user: UserSpec, signal: AbortSignal | undefined): Promise<void> {
  await context.serialized(node, signal, () => createAccount(context, node, user, signal));
}

/**
 * Creates (or brings to this spec) a local account, for an operation that holds the node's
 * lock already; its password travels inside the JSON on stdin.
 */
export async function createAccount(context: ModuleContext, node: NodeSpec, user: UserSpec, signal: AbortSignal | undefined): Promise<void> {
  const secrets = user.password ? [user.password] : [];
  const input = Secret.of(JSON.stringify({ password: user.password ? user.password.reveal() : null }));
  await context.run(node, createUserScript(user.username, user.admin ?? false), { stdin: input, secrets, signal });
  if (user.sshPublicKeys && user.sshPublicKeys.length > 0) await authorizeKeys(context, node, user.sshPublicKeys, signal);
}

/** Adds keys to OpenSSH's administrators_authorized_keys. */
export async function authorizeKeys(context: ModuleContext, node: NodeSpec, keys: readonly string[], signal: AbortSignal | undefined): Promise<void> {
  await context.run(node, authorizeAdministratorKeysScript(), { stdin: JSON.stringify({ keys }), signal });
}

/** Deletes a local account (and, with `removeHome`, its profile) under the node's lock. */
export async function deleteUser(context: ModuleContext, node: NodeSpec, options: { username: string; removeHome: boolean; signal: AbortSignal | undefined }): Promise<void> {
  await context.serialized(node, options.signal, () => context.run(node, deleteUserScript(options.username, options.removeHome), { signal: options.signal }));
}

/** Sets one account's password under the node's lock. */
export async function setPassword(context: ModuleContext, node: NodeSpec, options: { username: string; password: Secret; signal: AbortSignal | undefined }): Promise<void> {
  await context.serialized(node, options.signal, () => setPasswords(context, node, { [options.username]: options.password }, options.signal));
}

/** Sets each named account's password; the passwords travel inside the JSON on stdin. */
async function setPasswords(context: ModuleContext, node: NodeSpec, passwords: Record<string, Secret>, signal: AbortSignal | undefined): Promise<void> {
  const plain = Object.fromEntries(Object.entries(passwords).map(([name, password]) => [name, password.reveal()]));
  await context.run(node, setPasswordsScript(), { stdin: Secret.of(JSON.stringify(plain)), secrets: Object.values(passwords), signal });
}

/** New random passwords (Windows' complexity rule) for every member of the Administrators group, under the node's lock. */
export async function randomizeAdminPasswords(context: ModuleContext, node: NodeSpec, signal: AbortSignal | undefined): Promise<RandomizedPasswords> {
  return context.serialized(node, signal, async () => {
    const listed = await context.run(node, listAdministratorsScript(), { signal });
    const passwords: Record<string, Secret> = {};
    // Names come from the guest and travel only inside the JSON on stdin, so any account name works.
    for (const name of outputValues(listed.stdout, 'user')) if (name.length > 0) passwords[name] = complexPassword();
    if (Object.keys(passwords).length > 0) await setPasswords(context, node, passwords, signal);
    return { passwords };
  });
}
