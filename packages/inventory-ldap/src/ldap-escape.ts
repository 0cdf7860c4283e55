/**
 * The one place LDAP text is built from values: filter values (RFC 4515) and DN attribute
 * values (RFC 4514). Nothing else in the package pastes a value into a filter or a DN.
 */

/** Escapes a value for an LDAP search filter (RFC 4515): `*`, `(`, `)`, `\` and NUL. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\u0000]/g, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Escapes a value for a DN's attribute value (RFC 4514): `"`, `+`, `,`, `;`, `<`, `>`, `=`
 * and `\` everywhere, a leading `#` or space, a trailing space, and NUL.
 */
export function escapeDnValue(value: string): string {
  let escaped = value.replace(/["+,;<>=\\]/g, (char) => `\\${char}`).replace(/\u0000/g, '\\00');
  if (escaped.startsWith('#') || escaped.startsWith(' ')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && !escaped.endsWith('\\ ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/**
 * Builds a filter from a template whose interpolated values are escaped:
 * ldapFilter`(&(objectClass=sstVirtualizationVirtualMachine)(sstVirtualMachine=${id}))`.
 */
export function ldapFilter(strings: TemplateStringsArray, ...values: readonly string[]): string {
  return strings.reduce((filter, part, index) => filter + part + (index < values.length ? escapeFilterValue(values[index]!) : ''), '');
}

/** Builds one RDN `type=value` with the value escaped. */
export function rdn(type: string, value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(type)) throw new TypeError(`not an attribute type: ${type}`);
  return `${type}=${escapeDnValue(value)}`;
}
