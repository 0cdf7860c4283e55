import { InvalidInputError } from '../../../errors/index.ts';
import { Secret } from '../../../secret/index.ts';
import { checkObject } from '../../../validate/input-shape.ts';
import type { Customization } from './customization.ts';

function strings(field: string, value: unknown, nonEmpty: boolean): void {
  if (!Array.isArray(value) || (nonEmpty && value.length === 0) || value.some((entry) => typeof entry !== 'string' || entry.length === 0 || entry.includes('\0'))) {
    throw new InvalidInputError(field, `expected a${nonEmpty ? ' non-empty' : ''} list of non-empty strings`);
  }
}

/**
 * Checks what every OS module needs of a {@link Customization}, whatever the OS: the types,
 * non-empty names, passwords as `Secret` (a plain string would end up in logs), and a
 * first-boot command as an argv. OS modules add their own rules (user-name patterns, key
 * formats) in `checkCustomization`.
 */
export function checkCustomizationShape(customization: Customization, field = 'customization'): void {
  checkObject(field, customization);
  if (customization.hostname !== undefined && (typeof customization.hostname !== 'string' || customization.hostname.length === 0)) {
    throw new InvalidInputError(`${field}.hostname`, 'expected a non-empty string');
  }
  if (customization.users !== undefined) {
    if (!Array.isArray(customization.users)) throw new InvalidInputError(`${field}.users`, 'expected a list of users');
    customization.users.forEach((user, index) => {
      const at = `${field}.users[${index}]`;
      checkObject(at, user);
      if (typeof user.username !== 'string' || user.username.length === 0) throw new InvalidInputError(`${at}.username`, 'expected a non-empty string');
      // Characters no operating system allows in a local user name, and shells treat specially.
      if (/[\0-\x1f\x7f"'`$;|&<>/\\]/.test(user.username)) throw new InvalidInputError(`${at}.username`, `${JSON.stringify(user.username)} contains a character no user name may hold`);
      if (user.password !== undefined && !Secret.isSecret(user.password)) throw new InvalidInputError(`${at}.password`, 'must be a Secret, so it never prints');
      if (user.sshPublicKeys !== undefined) strings(`${at}.sshPublicKeys`, user.sshPublicKeys, false);
      if (user.admin !== undefined && typeof user.admin !== 'boolean') throw new InvalidInputError(`${at}.admin`, 'expected true or false');
    });
  }
  if (customization.sshAuthorizedKeys !== undefined) strings(`${field}.sshAuthorizedKeys`, customization.sshAuthorizedKeys, false);
  if (customization.firstBootCommand !== undefined) strings(`${field}.firstBootCommand`, customization.firstBootCommand, true);
}
