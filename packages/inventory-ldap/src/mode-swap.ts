import { ConflictError, NotFoundError, ProvkitError } from '@provkit/core';
import type { TemplateMode } from '@provkit/lean-provisioning';
import { LdapResult, ldapResultCode } from './ldap-errors.ts';
import type { LdapSession } from './ldap-session.ts';

/**
 * The compare-and-swap of a template's mode, with no read before it: one modify that deletes
 * `from` and adds `to`. The server applies a modify's changes all or none (RFC 4511 §4.6), so
 * if another writer changed the mode first the delete finds no such value and nothing is
 * written: that is `ConflictError` (a missing entry is `NotFoundError`). Legality of the
 * change is the caller's to check.
 */
export async function swapTemplateMode(session: LdapSession, dn: string, id: string, from: TemplateMode, to: TemplateMode, signal: AbortSignal | undefined): Promise<void> {
  try {
    await session.modify(
      dn,
      [
        { operation: 'delete', type: 'sstVirtualMachineMode', values: [from] },
        { operation: 'add', type: 'sstVirtualMachineMode', values: [to] },
      ],
      signal,
    );
  } catch (error) {
    const code = ldapResultCode(remoteCause(error));
    if (code === LdapResult.NoSuchAttribute) throw new ConflictError(`Template ${id} is no longer in mode "${from}": a concurrent change won; re-read and retry`, { cause: error });
    if (code === LdapResult.NoSuchObject) throw new NotFoundError('template', id, { cause: error });
    throw error;
  }
}

/** The ldapts error under a translated provkit error. */
export function remoteCause(error: unknown): unknown {
  return ProvkitError.isInstance(error) && error.cause !== undefined ? error.cause : error;
}
