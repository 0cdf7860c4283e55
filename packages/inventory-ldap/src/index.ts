/**
 * `@provkit/inventory-ldap`: provkit's `Inventory` (from `@provkit/core`) of pools, templates and persistent
 * VMs in an LDAP directory, with stoney cloud's layout and `sst.schema` attributes.
 *
 * @packageDocumentation
 */
export { LdapInventory, type LdapInventoryOptions } from './ldap-inventory.ts';
export type { LdapConnectionOptions, LdapTlsOptions } from './ldap-session.ts';
export { escapeDnValue, escapeFilterValue, ldapFilter } from './ldap-escape.ts';
export { sstSchemaPath } from './sst-schema-path.ts';
