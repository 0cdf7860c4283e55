import {
  checkNodeSpec,
  checkUsername,
  InvalidInputError,
  randomPassword,
  Secret,
  type CreateUserOptions,
  type DeleteUserOptions,
  type NodeOperationOptions,
  type RandomizedPasswords,
  type SetPasswordOptions,
} from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { commandTimeout, type ModuleContext } from '../module/module-context.ts';
import { checkChpasswdPassword } from '../operations/vcl-operations.ts';
import { runGuestScript } from '../script/run-guest-script.ts';
import { accountIdsScript, createUserScript, deleteUserScript, listAdministratorsScript, parseAdministrators, refuseSystemAccounts, setPasswordsScript } from './user-scripts.ts';
import { checkUser, type ValidUser } from './valid-user.ts';

/** Throws `SystemAccountError` when one of `users` is a system account on the guest. */
export async function refuseGuestSystemAccounts(
  context: ModuleContext,
  runner: CommandRunner,
  users: readonly ValidUser[],
  action: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (users.length === 0) return;
  const names = users.map((user) => user.username);
  const { stdout } = await runner.run(accountIdsScript(names), { signal, timeoutMs: commandTimeout(context) });
  refuseSystemAccounts(stdout, names, users.map((user) => `${user.field}.username`), action);
}

/** Creates (or brings to the spec) one validated account; its password goes over chpasswd's standard input. */
export async function createGuestUser(context: ModuleContext, runner: CommandRunner, user: ValidUser, signal: AbortSignal | undefined): Promise<void> {
  const script = createUserScript({ username: user.username, sshPublicKeys: user.sshPublicKeys, admin: user.admin, withPassword: user.password !== undefined });
  const run = { signal, timeoutMs: commandTimeout(context) };
  await runGuestScript(
    runner,
    script,
    user.password ? { ...run, stdin: Secret.of(`${user.username}:${user.password.reveal()}\n`), outputSecrets: [user.password] } : run,
  );
}

/** `LinuxOsModule.createUser`: refuses system accounts, then creates the account. */
export async function createUser(context: ModuleContext, options: CreateUserOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const user = checkUser(options, 'user');
  context.require('users', 'createUser');
  const runner = context.runner(node);
  await context.serialized(node, options.signal, async () => {
    await refuseGuestSystemAccounts(context, runner, [user], 'give keys, a password or sudo to', options.signal);
    await createGuestUser(context, runner, user, options.signal);
  });
  context.progress('createUser', node.name).step('user-created', `${user.username}${user.admin ? ' (administrator)' : ''}`);
}

/** `LinuxOsModule.deleteUser`: refuses root and system accounts, then deletes the account. */
export async function deleteUser(context: ModuleContext, options: DeleteUserOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const username = checkUsername('username', options.username);
  context.require('users', 'deleteUser');
  if (username === 'root') throw new InvalidInputError('username', 'root cannot be deleted');
  const runner = context.runner(node);
  await context.serialized(node, options.signal, async () => {
    const run = { signal: options.signal, timeoutMs: commandTimeout(context) };
    refuseSystemAccounts((await runner.run(accountIdsScript([username]), run)).stdout, [username], ['username'], 'delete');
    await runGuestScript(runner, deleteUserScript(username, options.removeHome ?? true), run);
  });
  context.progress('deleteUser', node.name).step('user-deleted', username);
}

/** `LinuxOsModule.setPassword`: one password through chpasswd's standard input. */
export async function setPassword(context: ModuleContext, options: SetPasswordOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const username = checkUsername('username', options.username);
  context.require('users', 'setPassword');
  if (!Secret.isSecret(options.password)) throw new InvalidInputError('password', 'expected a Secret');
  checkChpasswdPassword('password', options.password);
  const runner = context.runner(node);
  const stdin = Secret.of(`${username}:${options.password.reveal()}\n`);
  await context.serialized(node, options.signal, () =>
    runGuestScript(runner, setPasswordsScript([username]), { signal: options.signal, timeoutMs: commandTimeout(context), stdin, outputSecrets: [options.password] }),
  );
  context.progress('setPassword', node.name).step('password-set', username);
}

/** `LinuxOsModule.randomizeAdminPasswords`: new random passwords for root and the image's administrators. */
export async function randomizeAdminPasswords(context: ModuleContext, options: NodeOperationOptions): Promise<RandomizedPasswords> {
  const node = checkNodeSpec(options.node);
  context.require('users', 'randomizeAdminPasswords');
  const runner = context.runner(node);
  return context.serialized(node, options.signal, async () => {
    const run = { signal: options.signal, timeoutMs: commandTimeout(context) };
    const admins = parseAdministrators((await runner.run(listAdministratorsScript(), run)).stdout);
    const passwords: Record<string, Secret> = {};
    for (const name of admins) passwords[name] = randomPassword(24);
    const secrets = Object.values(passwords);
    const stdin = Secret.of(admins.map((name) => `${name}:${passwords[name]!.reveal()}\n`).join(''));
    await runGuestScript(runner, setPasswordsScript(admins), { ...run, stdin, outputSecrets: secrets });
    context.progress('randomizeAdminPasswords', node.name).step('passwords-randomized', admins.join(', '));
    return { passwords };
  });
}
