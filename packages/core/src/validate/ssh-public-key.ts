import { InvalidInputError } from '../errors/index.ts';

const KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n\0]*)?$/;

/**
 * The one SSH public key check of provkit (users, customizations, every OS module): one
 * OpenSSH public key line `<type> <base64> [comment]`, without options and line breaks.
 * Returns it trimmed; anything else is refused with `InvalidInputError` naming `field`.
 */
export function checkSshPublicKey(field: string, value: unknown): string {
  if (typeof value !== 'string' || !KEY.test(value.trim())) {
    throw new InvalidInputError(field, 'expected one OpenSSH public key line "<type> <base64> [comment]"');
  }
  return value.trim();
}
