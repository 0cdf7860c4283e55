import { InvalidInputError } from '../../../errors/index.ts';
import { Secret } from '../../../secret/index.ts';
import { checkImageName, checkNode, checkSshPublicKey, checkStringArray, checkUsername } from '../../../validate/index.ts';
import type { NodeSpec } from './node.ts';

/**
 * Checks a node's name and address (the checks every operation on a node starts with) and
 * returns it; `InvalidInputError` naming the field otherwise.
 */
export function checkNodeSpec(node: NodeSpec): NodeSpec {
  return checkNode('node', node);
}

/*
 * The rest: input checks the base classes' defaults run before anything else, so a default
 * answers bad input with `InvalidInputError` and an aborted signal with `AbortedError` exactly
 * as a real implementation would, and only then says what it does not support. Internal.
 */

/** Checks a user's name, password (a `Secret`), keys and admin flag. */
export function checkUser(user: { username: unknown; password?: unknown; sshPublicKeys?: unknown; admin?: unknown }): void {
  checkUsername('username', user.username);
  if (user.password !== undefined && !Secret.isSecret(user.password)) throw new InvalidInputError('password', 'must be a Secret, so it never prints');
  if (user.sshPublicKeys !== undefined) checkStringArray('sshPublicKeys', user.sshPublicKeys, (field, key) => checkSshPublicKey(field, key));
  if (user.admin !== undefined && typeof user.admin !== 'boolean') throw new InvalidInputError('admin', 'expected true or false');
}

/** Checks an image name. */
export function checkImage(image: unknown): void {
  checkImageName('image', image);
}
