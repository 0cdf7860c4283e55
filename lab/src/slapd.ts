/** State of the lab's `slapd` service: OpenLDAP with stoney cloud's schema on loopback. */
export interface SlapdLabState {
  /** Plain LDAP URL (StartTLS available), e.g. `ldap://127.0.0.1:38901`. */
  url: string;
  /** LDAP over TLS, e.g. `ldaps://127.0.0.1:38902`. */
  ldapsUrl: string;
  /** The database's root DN, allowed everything. */
  bindDN: string;
  password: string;
  /** `dc=provkit,dc=test`; stoney cloud's `ou=services` tree is created below it. */
  baseDN: string;
  /** The self-signed CA that signed the server certificate (for 127.0.0.1 and localhost). */
  caFile: string;
  /** The `sst.schema` slapd loaded. */
  schemaPath: string;
  logPath: string;
  pidPath: string;
}
