import { checkHost, InvalidInputError, ProvkitError } from '@provkit/core';

/** A host name (not an IP address) for `field`. */
export function checkHostname(field: string, hostname: unknown): string {
  const name = checkHost(field, hostname);
  if (/^[0-9.]+$/.test(name) || name.includes(':')) throw new InvalidInputError(field, 'an IP address is not a hostname');
  return name;
}

/** The node name as a hostname, or the reason it cannot be one. */
export function nodeNameAsHostname(name: string): string | ProvkitError {
  try {
    return checkHostname('node.name', name);
  } catch (error) {
    if (ProvkitError.hasCode(error, 'INVALID_INPUT')) return error;
    throw error;
  }
}
