/** State of the lab's `slapd` service: OpenLDAP with stoney cloud's schema on loopback. */
export interface SlapdLabState {
  /** Plain LDAP URL (StartTLS available), e.g. `ldap://127.0.0.1:38901`. */
  url: string;
  /** LDAP over TLS, e.g. `ldaps://127.0.0.1:38902`. */
  ldapsUrl: string;
  /** The database's root DN, allowed everything. */
  bindDN: string;
  /**
   * A file (mode 0600, no trailing newline) holding the root DN's password. The password is
   * kept out of this state and off every command line; read it from here.
   */
  passwordFile: string;
  /** `dc=provkit,dc=test`; stoney cloud's `ou=services` tree is created below it. */
  baseDN: string;
  /** The self-signed CA that signed the server certificate (for 127.0.0.1 and localhost). */
  caFile: string;
  /** The `sst.schema` slapd loaded. */
  schemaPath: string;
  logPath: string;
  pidPath: string;
}
