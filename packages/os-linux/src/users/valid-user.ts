import { checkSshPublicKey, checkStringArray, checkUsername, InvalidInputError, Secret, type UserSpec } from '@provkit/core';
import { checkChpasswdPassword } from '../operations/vcl-operations.ts';

/** A user spec after validation. */
export interface ValidUser {
  /** The option it came from, for errors (`user`, `customization.users[0]`). */
  field: string;
  username: string;
  sshPublicKeys: string[];
  admin: boolean;
  password?: Secret;
}

/** Checks a user spec (name, keys, a password chpasswd can take), naming `field` in errors; root is refused. */
export function checkUser(user: UserSpec, field: string): ValidUser {
  if (!user || typeof user !== 'object') throw new InvalidInputError(field, 'expected a user');
  const username = checkUsername(`${field}.username`, user.username);
  if (username === 'root') throw new InvalidInputError(`${field}.username`, 'root is not a user provkit creates');
  const sshPublicKeys = checkStringArray(`${field}.sshPublicKeys`, user.sshPublicKeys === undefined ? [] : user.sshPublicKeys, (keyField, key) => checkSshPublicKey(keyField, key));
  if (user.admin !== undefined && typeof user.admin !== 'boolean') throw new InvalidInputError(`${field}.admin`, 'expected true or false');
  if (user.password !== undefined) {
    if (!Secret.isSecret(user.password)) throw new InvalidInputError(`${field}.password`, 'expected a Secret');
    checkChpasswdPassword(`${field}.password`, user.password);
  }
  const valid: ValidUser = { field, username, sshPublicKeys, admin: user.admin === true };
  if (user.password !== undefined) valid.password = user.password;
  return valid;
}
