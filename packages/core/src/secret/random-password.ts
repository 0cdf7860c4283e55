import { randomInt } from 'node:crypto';
import { Secret } from './secret.ts';

const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * A random password from a look-alike-free alphabet, wrapped as a {@link Secret}.
 * 20 characters give about 116 bits of entropy.
 */
export function randomPassword(length = 20): Secret {
  let value = '';
  for (let i = 0; i < length; i++) value += alphabet[randomInt(alphabet.length)];
  return Secret.of(value);
}
