import { raw, type ShellFragment } from '@provkit/core';

/** Where provkit lists the accounts it created for reservations (one name a line). */
export const RESERVATION_USERS_FILE = '/var/lib/provkit/reservation-users';

/** The sudoers drop-in that makes `username` an administrator. */
export function sudoersDropInPath(username: string): string {
  return `/etc/sudoers.d/provkit-${username}`;
}

/**
 * Shell functions for accounts, shared by the user methods and the generalization steps:
 * `pk_kill_uid UID` kills a user's processes (bounded wait until they are gone),
 * `pk_delete_user NAME REMOVE_HOME LIST` deletes an account with its home, mail, crontab and
 * sudoers drop-in and forgets it in LIST; both report what they did. Names are checked here
 * again, since LIST is a file on the guest.
 */
export function userFunctions(): ShellFragment {
  return raw(String.raw`pk_kill_uid() {
  pk_uid=$1; pk_n=0
  while :; do
    pk_pids=''
    for pk_d in /proc/[0-9]*; do
      [ -r "$pk_d/status" ] || continue
      if awk -v uid="$pk_uid" '$1 == "Uid:" { exit ($2 == uid ? 0 : 1) }' "$pk_d/status" 2>/dev/null; then
        pk_pids="$pk_pids $(echo "$pk_d" | cut -d/ -f3)"
      fi
    done
    [ -n "$pk_pids" ] || return 0
    [ "$pk_n" -ge 50 ] && pk_fail "processes of uid $pk_uid survive SIGKILL:$pk_pids"
    for pk_p in $pk_pids; do
      if kill -KILL "$pk_p" 2>/dev/null && [ "$pk_n" -eq 0 ]; then pk_say killed "process $pk_p of uid $pk_uid"; fi
    done
    pk_n=$((pk_n + 1)); sleep 0.1
  done
}
pk_forget_user() {
  [ -f "$2" ] || return 0
  grep -vx -- "$1" "$2" >"$2.tmp" || :
  cat "$2.tmp" >"$2" && rm -f "$2.tmp"
}
pk_delete_user() {
  pk_u=$1; pk_remove_home=$2; pk_list=$3
  case "$pk_u" in ''|*[!a-z0-9_-]*|-*) pk_say note "skipped invalid user name in $pk_list"; return 0 ;; esac
  if ! grep -q "^$pk_u:" /etc/passwd; then pk_forget_user "$pk_u" "$pk_list"; return 0; fi
  pk_uid=$(awk -F: -v u="$pk_u" '$1 == u { print $3 }' /etc/passwd)
  pk_home=$(awk -F: -v u="$pk_u" '$1 == u { print $6 }' /etc/passwd)
  [ "$pk_uid" = 0 ] && pk_fail "refusing to delete $pk_u: it has uid 0"
  pk_kill_uid "$pk_uid"
  if pk_have userdel; then userdel "$pk_u" || pk_fail "userdel $pk_u failed"
  elif pk_have deluser; then deluser "$pk_u" || pk_fail "deluser $pk_u failed"
  else pk_fail "neither userdel nor deluser on this guest"; fi
  pk_say deleted-user "$pk_u"
  if [ "$pk_remove_home" = yes ]; then
    # Only a home that is the user's own: never /, a system directory or a shared one.
    case "$pk_home" in /home/"$pk_u"|/home/*/"$pk_u"|/var/lib/*/"$pk_u") pk_rm "$pk_home" ;; *) [ -n "$pk_home" ] && pk_say kept "home $pk_home (not the user's own directory)" ;; esac
    pk_rm /var/mail/"$pk_u" /var/spool/mail/"$pk_u"
  fi
  pk_rm /var/spool/cron/crontabs/"$pk_u" /var/spool/cron/"$pk_u" /etc/sudoers.d/provkit-"$pk_u"
  pk_forget_user "$pk_u" "$pk_list"
}
`);
}
