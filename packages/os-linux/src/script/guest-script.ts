import { raw, sh, type ShellFragment } from '@provkit/core';

/**
 * Shell functions every guest script starts with. They are POSIX sh (dash, bash and busybox
 * ash all run them) and report each change on standard output as one line
 * `@provkit <verb> <object>`, which {@link parseActions} reads back. Each one is a no-op when
 * its target is absent, so an operation is safe on a guest that lacks what it cleans.
 */
const PRELUDE = String.raw`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH LC_ALL=C
pk_say() { printf '@provkit %s %s\n' "$1" "$2"; }
pk_fail() { printf '@provkit failed %s\n' "$1"; printf 'provkit: %s\n' "$1" >&2; exit 1; }
pk_have() { command -v "$1" >/dev/null 2>&1; }
pk_rm() {
  for pk_f in "$@"; do
    if [ -e "$pk_f" ] || [ -L "$pk_f" ]; then rm -rf -- "$pk_f" || pk_fail "cannot remove $pk_f"; pk_say removed "$pk_f"; fi
  done
}
pk_truncate() {
  for pk_f in "$@"; do
    if [ -f "$pk_f" ] && [ ! -L "$pk_f" ] && [ -s "$pk_f" ]; then : >"$pk_f" || pk_fail "cannot truncate $pk_f"; pk_say truncated "$pk_f"; fi
  done
}
pk_rm_files() {
  for pk_f in "$@"; do
    if [ -f "$pk_f" ] || [ -L "$pk_f" ]; then rm -- "$pk_f" </dev/null || pk_fail "cannot remove $pk_f"; pk_say removed "$pk_f"; fi
  done
}
pk_empty_dir() {
  for pk_d in "$@"; do
    [ -d "$pk_d" ] && [ ! -L "$pk_d" ] || continue
    for pk_f in "$pk_d"/* "$pk_d"/.[!.]* "$pk_d"/..?*; do pk_rm "$pk_f"; done
  done
}
pk_find_rm() {
  pk_dir=$1; shift
  [ -d "$pk_dir" ] || return 0
  find "$pk_dir" "$@" -print 2>/dev/null | while IFS= read -r pk_f; do pk_rm "$pk_f"; done || exit 1
}
pk_find_truncate() {
  pk_dir=$1; shift
  [ -d "$pk_dir" ] || return 0
  find "$pk_dir" "$@" -print 2>/dev/null | while IFS= read -r pk_f; do pk_truncate "$pk_f"; done || exit 1
}
pk_del_lines() {
  pk_re=$1; shift
  for pk_f in "$@"; do
    [ -f "$pk_f" ] || continue
    if grep -Eq "$pk_re" "$pk_f"; then sed -E -i "/$pk_re/d" "$pk_f" || pk_fail "cannot edit $pk_f"; pk_say changed "$pk_f"; fi
  done
}
pk_homes() {
  printf '%s\n' /root
  for pk_h in /home/*; do [ -d "$pk_h" ] && printf '%s\n' "$pk_h"; done
}
pk_uid_min() {
  pk_m=$(awk '$1 == "UID_MIN" { print $2; exit }' /etc/login.defs 2>/dev/null)
  case "$pk_m" in ''|*[!0-9]*) echo 1000 ;; *) echo "$pk_m" ;; esac
}
`;

/** Prefixes a script body with the provkit shell functions. */
export function guestScript(body: ShellFragment): ShellFragment {
  return sh`${raw(PRELUDE)}${body}`;
}
