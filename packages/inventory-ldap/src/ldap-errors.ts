import { AuthenticationError, ConnectionError, PermissionDeniedError, RemoteFaultError, TimeoutError } from '@provkit/core';

/** LDAP result codes (RFC 4511) the inventory reacts to. */
export const LdapResult = {
  NoSuchAttribute: 16,
  ConstraintViolation: 19,
  AttributeOrValueExists: 20,
  NoSuchObject: 32,
  InvalidCredentials: 49,
  InsufficientAccessRights: 50,
  Busy: 51,
  Unavailable: 52,
  NotAllowedOnNonLeaf: 66,
  EntryAlreadyExists: 68,
} as const;

/** The LDAP result code of an ldapts error, or undefined for transport errors. */
export function ldapResultCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'number' ? code : undefined;
}

/**
 * Turns an ldapts error into provkit's typed errors: transport failures (refused, reset, TLS
 * verification) into `ConnectionError`, a timed-out operation into `TimeoutError`, bad
 * credentials into `AuthenticationError`, missing rights into `PermissionDeniedError`, and
 * any other result code into `RemoteFaultError` carrying the server's text.
 */
export function translateLdapError(error: unknown, url: string, operation: string, timeoutMs: number): Error {
  const code = ldapResultCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined) {
    if (/timed out/i.test(message)) return new TimeoutError(`LDAP ${operation} on ${url}`, timeoutMs, undefined, { cause: error });
    return new ConnectionError(url, `${operation}: ${message}`, { cause: error });
  }
  if (code === LdapResult.InvalidCredentials) return new AuthenticationError(url, 'invalid credentials', { cause: error });
  if (code === LdapResult.InsufficientAccessRights) return new PermissionDeniedError(`LDAP ${operation} refused: ${message}`, { cause: error });
  const name = (error as Error).name || `LDAP result ${code}`;
  const retryable = code === LdapResult.Busy || code === LdapResult.Unavailable;
  return new RemoteFaultError(name, `LDAP ${operation}: ${message}`, { cause: error, isRetryable: retryable });
}
