#!/usr/bin/env bash
# OpenLDAP slapd on free loopback ports (ldap:// with StartTLS, and ldaps://) with an mdb
# database, stoney cloud's sst.schema loaded after core, cosine, inetorgperson and nis, a
# self-signed CA and server certificate, and stoney cloud's base entries.
# Usage: slapd.sh packages|up|down|status
LAB_SERVICE=slapd
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/slapd
base_dn='dc=provkit,dc=test'
root_dn="cn=admin,$base_dn"
packages() { echo slapd ldap-utils openssl; }

# sst.schema ships in @provkit/inventory-ldap (packages/inventory-ldap/schema): the lab's Node
# side resolves the package's "./sst.schema" export and passes it as PROVKIT_SST_SCHEMA; run
# by hand, the script takes the same file from the package folder of this checkout.
sst_schema() {
  local schema=${PROVKIT_SST_SCHEMA:-$LAB_ROOT/../packages/inventory-ldap/schema/sst.schema}
  [ -f "$schema" ] || lab_die "stoney cloud schema not found at $schema (it ships in @provkit/inventory-ldap as schema/sst.schema)"
  (cd "$(dirname "$schema")" && echo "$PWD/$(basename "$schema")")
}

# make_tls: a CA and a server certificate for 127.0.0.1/localhost, signed by the CA.
make_tls() {
  local tls=$dir/tls
  mkdir -p "$tls"
  chmod 700 "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj '/CN=provkit lab CA' \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 30 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  rm -f "$tls/server.csr" "$tls/ca.key"
}

fill() { # fill TEMPLATE OUT: replaces @VAR@ placeholders
  sed -e "s|@DIR@|$dir|g" -e "s|@BASE_DN@|$base_dn|g" -e "s|@ROOT_DN@|$root_dn|g" \
    -e "s|@SST_SCHEMA@|$schema|g" -e "s|@ROOT_PW_HASH@|$hash|g" "$1" >"$2"
}

# write_state URL LDAPS_URL SCHEMA: the state file. It names the 0600 password file instead of
# holding the password, so lab_json's node command line (readable by every local user in
# /proc/*/cmdline) carries nothing secret.
write_state() {
  lab_json url "$1" ldapsUrl "$2" bindDN "$root_dn" passwordFile "$dir/rootpw" baseDN "$base_dn" \
    caFile "$dir/tls/ca.crt" schemaPath "$3" logPath "$dir/slapd.log" pidPath "$dir/slapd.pid" >"$dir/state.json.new"
  mv -f "$dir/state.json.new" "$dir/state.json"
}

# A slapd started before the state named the password file keeps running (others may be using
# it): its state is rewritten from the old file, without the password, by node reading files.
upgrade_state() {
  grep -q '"passwordFile"' "$dir/state.json" && return 0
  local url ldaps_url schema
  { read -r url; read -r ldaps_url; read -r schema; } < <(node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log([s.url, s.ldapsUrl, s.schemaPath].join("\n"));' "$dir/state.json")
  write_state "$url" "$ldaps_url" "$schema"
}

up() {
  if status; then upgrade_state; cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  local schema hash port tls_port
  schema=$(sst_schema)
  rm -rf "$dir"
  mkdir -p "$dir/data"
  chmod 700 "$dir"
  make_tls
  # The password lives in a 0600 file and is only ever read from it (slappasswd -T, the
  # tests): never a command line, never the state file.
  (umask 077; printf 'lab-%s' "$(openssl rand -hex 16)" >"$dir/rootpw")
  hash=$(slappasswd -T "$dir/rootpw")
  fill "$LAB_ROOT/slapd/slapd.conf.template" "$dir/slapd.conf"
  chmod 600 "$dir/slapd.conf"
  fill "$LAB_ROOT/slapd/base.ldif.template" "$dir/base.ldif"
  slaptest -u -f "$dir/slapd.conf" >"$dir/slaptest.log" 2>&1 || lab_die "slaptest refused the configuration: $(tail -5 "$dir/slaptest.log")"
  slapadd -f "$dir/slapd.conf" -l "$dir/base.ldif" >"$dir/slapadd.log" 2>&1 || lab_die "slapadd of the base entries failed: $(tail -5 "$dir/slapadd.log")"
  port=$(lab_free_port)
  tls_port=$(lab_free_port)
  [ "$port" != "$tls_port" ] || tls_port=$(lab_free_port)
  /usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$tls_port/" || lab_die "slapd did not start: $(tail -5 "$dir/slapd.log" 2>/dev/null)"
  lab_wait_port 127.0.0.1 "$port" 20 slapd
  lab_wait_port 127.0.0.1 "$tls_port" 20 'slapd (ldaps)'
  write_state "ldap://127.0.0.1:$port" "ldaps://127.0.0.1:$tls_port" "$schema"
  cat "$dir/state.json"
}

down() { lab_stop_pid "$dir/slapd.pid"; rm -f "$dir/state.json"; }
status() { [ -f "$dir/state.json" ] && lab_pid_alive "$dir/slapd.pid"; }

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  *) echo "usage: $0 packages|up|down|status" >&2; exit 2 ;;
esac
