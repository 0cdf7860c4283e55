import { readFileSync } from 'node:fs';
import { InvalidInputError, type EndState, type NodeSpec, type OsModuleV1 } from '@provkit/core';
import { EXIT } from '../exit-codes.ts';
import { readSecret } from '../secret-input.ts';
import { parseWholeNumber } from '../units.ts';
import { choiceFlag, listFlag, required, requireOsModule, stringFlag, timeoutFlag, type CommandContext } from './context.ts';

/** The `provkit os <action>` commands: every operation of the configured OS module on one node. */
export const OS_ACTIONS = [
  'wait',
  'post-load',
  'pre-capture',
  'add-user',
  'delete-user',
  'set-password',
  'randomize-passwords',
  'grant-access',
  'revoke-access',
  'read-image',
  'write-image',
  'shutdown',
  'reboot',
] as const;

type OsAction = (typeof OS_ACTIONS)[number];

/** `provkit os <action> <node> ...`: see {@link OS_ACTIONS} and `provkit --help`. */
export async function osCommand(context: CommandContext): Promise<number> {
  const [action, name, ...rest] = context.positionals;
  if (!action || !(OS_ACTIONS as readonly string[]).includes(action)) throw new InvalidInputError('os', `usage: provkit os ${OS_ACTIONS.join('|')} <node> ...`);
  const node = context.node(name);
  // Everything the action needs from the command line is read before the module is built.
  const run = prepare(action as OsAction, context, node, rest);
  const module = await requireOsModule(context);
  const stop = context.output.follow(module.events);
  try {
    return await run(module);
  } finally {
    stop();
  }
}

function prepare(action: OsAction, context: CommandContext, node: NodeSpec, args: string[]): (module: OsModuleV1) => Promise<number> {
  const { flags, output, signal } = context;
  const call = { node, signal };
  const done = (value: Record<string, unknown>, human: string): number => {
    output.result({ node: node.name, action, ...value }, () => human);
    return EXIT.ok;
  };
  const passwordSources = { env: stringFlag(flags, 'password-env'), file: stringFlag(flags, 'password-file'), stdin: flags['password-stdin'] === true };
  switch (action) {
    case 'wait': {
      const timeout = timeoutFlag(flags);
      return async (module) => (await module.waitForResponse({ ...call, ...timeout }), done({}, `${node.name} answers`));
    }
    case 'post-load': {
      const image = required(args[0], '<image>');
      return async (module) => (await module.postLoad({ ...call, image }), done({ image }, `post-load done on ${node.name}`));
    }
    case 'pre-capture': {
      const endState = choiceFlag<EndState>(flags, 'end-state', ['off', 'on', 'reboot'], 'off');
      const timeout = timeoutFlag(flags);
      return async (module) => {
        const result = await module.preCapture({ ...call, endState, ...timeout });
        return done({ ...result }, `generalized ${node.name} (${result.operations.map((entry) => entry.name).join(', ')}); end state ${result.endState}`);
      };
    }
    case 'add-user': {
      const username = required(args[0], '<username>');
      const password = readSecret(passwordSources);
      const sshPublicKeys = listFlag(flags, 'ssh-key').flatMap((path) => publicKeys(path));
      const admin = flags.admin === true;
      return async (module) => {
        await module.createUser({ ...call, username, admin, ...(password ? { password } : {}), ...(sshPublicKeys.length > 0 ? { sshPublicKeys } : {}) });
        return done({ username, admin, sshPublicKeys: sshPublicKeys.length }, `created ${username} on ${node.name}`);
      };
    }
    case 'delete-user': {
      const username = required(args[0], '<username>');
      const removeHome = flags['remove-home'] === true;
      return async (module) => (await module.deleteUser({ ...call, username, removeHome }), done({ username }, `deleted ${username} on ${node.name}`));
    }
    case 'set-password': {
      const username = required(args[0], '<username>');
      const password = readSecret(passwordSources);
      if (!password) throw new InvalidInputError('--password-env', 'set-password needs --password-env VAR, --password-file FILE or --password-stdin (never the password itself on the command line)');
      return async (module) => (await module.setPassword({ ...call, username, password }), done({ username }, `set the password of ${username} on ${node.name}`));
    }
    case 'randomize-passwords':
      return async (module) => {
        const { passwords } = await module.randomizeAdminPasswords(call);
        // The new passwords are secrets: the command says whose changed, never what they are.
        const users = Object.keys(passwords);
        return done({ users }, `randomized the passwords of ${users.join(', ') || 'no user'} on ${node.name}`);
      };
    case 'grant-access':
    case 'revoke-access': {
      const remoteIp = required(args[0], '<remote-ip>');
      const ports = listFlag(flags, 'port').map((port) => parseWholeNumber('--port', port, { max: 65535 }));
      if (ports.length === 0) throw new InvalidInputError('--port', 'is required (repeat it for several ports)');
      return async (module) => {
        await (action === 'grant-access' ? module.grantAccess({ ...call, remoteIp, ports }) : module.revokeAccess({ ...call, remoteIp, ports }));
        return done({ remoteIp, ports }, `${action === 'grant-access' ? 'granted' : 'revoked'} ${remoteIp} ports ${ports.join(', ')} on ${node.name}`);
      };
    }
    case 'read-image':
      return async (module) => {
        const info = await module.readCurrentImage(call);
        output.result({ node: node.name, action, currentImage: info ?? null }, () => (info ? `${node.name}: ${info.image}${info.postLoadDone ? ' (post-load done)' : ''}` : `${node.name}: no currentimage.txt`));
        return info ? EXIT.ok : EXIT.notFound;
      };
    case 'write-image': {
      const image = required(args[0], '<image>');
      const properties: Record<string, string> = Object.fromEntries(listFlag(flags, 'property').map((entry) => property(entry)));
      const postLoadDone = flags['post-load-done'] === true;
      // VCL records post-load in the file itself; modules that read the flag from there see it too.
      if (postLoadDone) properties.vcld_post_load ??= `success (${Math.floor(Date.now() / 1000)})`;
      const info = { image, properties, postLoadDone };
      return async (module) => (await module.writeCurrentImage({ ...call, info }), done({ currentImage: info }, `wrote currentimage.txt (${image}) on ${node.name}`));
    }
    case 'shutdown':
    case 'reboot': {
      const timeout = timeoutFlag(flags);
      return async (module) => {
        await (action === 'shutdown' ? module.shutdown({ ...call, ...timeout }) : module.reboot({ ...call, ...timeout }));
        return done({}, `${node.name}: ${action} done`);
      };
    }
  }
}

/** The public keys in an OpenSSH `.pub` or authorized_keys file. */
function publicKeys(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError('--ssh-key', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const keys = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (keys.length === 0) throw new InvalidInputError('--ssh-key', `${path} holds no public key`);
  return keys;
}

/** `--property key=value`. */
function property(entry: string): [string, string] {
  const at = entry.indexOf('=');
  if (at <= 0) throw new InvalidInputError('--property', `${JSON.stringify(entry)} is not key=value`);
  return [entry.slice(0, at), entry.slice(at + 1)];
}
