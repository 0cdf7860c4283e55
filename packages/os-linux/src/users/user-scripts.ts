import { sh, type ShellFragment } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import { SystemAccountError } from './system-account-error.ts';
import { RESERVATION_USERS_FILE, sudoersDropInPath, userFunctions } from './user-functions.ts';

/**
 * Prints the guest's `UID_MIN` (`uid-min <n>`), the uid of each of `usernames` that exists in
 * /etc/passwd (`uid <name> <n>`) and which of them provkit created for a reservation
 * (`reserved <name>`). It changes nothing.
 */
export function accountIdsScript(usernames: readonly string[], reservationUsersFile = RESERVATION_USERS_FILE): ShellFragment {
  return guestScript(sh`echo "uid-min $(pk_uid_min)"
for pk_u in ${usernames}; do
  awk -F: -v u="$pk_u" '$1 == u { print "uid " $1 " " $3; exit }' /etc/passwd
  if grep -qx -- "$pk_u" ${reservationUsersFile} 2>/dev/null; then echo "reserved $pk_u"; fi
done
`);
}

/**
 * Throws {@link SystemAccountError} for the first of `usernames` that `accountIdsScript`
 * found with a uid below `UID_MIN` (root included); `fields` name each one for the error.
 * Accounts provkit created for a reservation are its own, whatever their uid.
 */
export function refuseSystemAccounts(stdout: string, usernames: readonly string[], fields: readonly string[], action: string): void {
  const lines = stdout.split('\n').map((line) => line.trim().split(/\s+/));
  const minText = lines.find((words) => words[0] === 'uid-min')?.[1];
  const uidMin = minText !== undefined && /^\d+$/.test(minText) ? Number(minText) : 1000;
  for (const [index, username] of usernames.entries()) {
    const uidText = lines.find((words) => words[0] === 'uid' && words[1] === username && words.length === 3)?.[2];
    if (uidText === undefined || lines.some((words) => words[0] === 'reserved' && words[1] === username)) continue;
    // An entry whose uid is not a number is not one provkit should touch either.
    const uid = /^\d+$/.test(uidText) ? Number(uidText) : -1;
    if (uid < uidMin) throw new SystemAccountError(fields[index] ?? 'username', action, username, uid, uidMin);
  }
}

/** What `createUserScript` sets up. Every value is validated by the caller. */
export interface CreateUserPlan {
  username: string;
  sshPublicKeys: readonly string[];
  admin: boolean;
  /** The password comes on standard input as a chpasswd line. */
  withPassword: boolean;
  reservationUsersFile?: string;
}

/**
 * Creates the account (useradd, or busybox adduser) with a home, or brings an existing regular
 * one to the plan (a system account, uid below `UID_MIN`, makes it fail before any change):
 * password through chpasswd (standard input), authorized keys, administrator rights as a
 * sudoers drop-in checked by `visudo -cf` before it is moved into place. An account it
 * creates is listed as a reservation account, which `reservation-accounts` deletes before capture.
 * A key-only account gets the password `*` (no password, but not locked: sshd without PAM
 * refuses locked accounts even with a key).
 */
export function createUserScript(plan: CreateUserPlan): ShellFragment {
  const list = plan.reservationUsersFile ?? RESERVATION_USERS_FILE;
  const dropIn = sudoersDropInPath(plan.username);
  return guestScript(sh`pk_u=${plan.username}; pk_list=${list}; pk_dropin=${dropIn}
pk_with_password=${plan.withPassword ? 'yes' : 'no'}; pk_admin=${plan.admin ? 'yes' : 'no'}; pk_set_keys=${plan.sshPublicKeys.length > 0 ? 'yes' : 'no'}
pk_created=no
pk_id=$(awk -F: -v u="$pk_u" '$1 == u { print $3; exit }' /etc/passwd)
# The caller checked this already; checked again here so a race cannot slip through.
if [ -n "$pk_id" ] && ! grep -qx -- "$pk_u" "$pk_list" 2>/dev/null; then
  case "$pk_id" in *[!0-9]*) pk_fail "refusing to change account $pk_u (uid $pk_id)" ;; esac
  [ "$pk_id" -lt "$(pk_uid_min)" ] && pk_fail "refusing to change system account $pk_u (uid $pk_id < UID_MIN $(pk_uid_min))"
fi
if [ -z "$pk_id" ]; then
  pk_shell=/bin/sh; [ -x /bin/bash ] && pk_shell=/bin/bash
  if pk_have useradd; then useradd -m -s "$pk_shell" "$pk_u" || pk_fail "useradd $pk_u failed"
  elif pk_have adduser; then adduser -D -s "$pk_shell" "$pk_u" || pk_fail "adduser $pk_u failed"
  else pk_fail "neither useradd nor adduser on this guest"; fi
  pk_created=yes
  pk_say created-user "$pk_u"
  mkdir -p "$(dirname "$pk_list")" && { grep -qx -- "$pk_u" "$pk_list" 2>/dev/null || echo "$pk_u" >>"$pk_list"; } || pk_fail "cannot record $pk_u in $pk_list"
fi
pk_home=$(awk -F: -v u="$pk_u" '$1 == u { print $6 }' /etc/passwd)
pk_group=$(id -gn "$pk_u") || pk_fail "no primary group for $pk_u"
if [ ! -d "$pk_home" ]; then mkdir -p "$pk_home" && chown "$pk_u:$pk_group" "$pk_home" && chmod 750 "$pk_home" || pk_fail "cannot create $pk_home"; pk_say created "$pk_home"; fi
if [ "$pk_with_password" = yes ]; then
  chpasswd || pk_fail "chpasswd refused the password of $pk_u"
  pk_say changed "password of $pk_u"
elif [ "$pk_created" = yes ]; then
  if pk_have usermod; then usermod -p '*' "$pk_u" || pk_fail "usermod $pk_u failed"
  else sed -i "s/^$pk_u:[^:]*:/$pk_u:*:/" /etc/shadow || pk_fail "cannot unlock $pk_u for key logins"; fi
fi
if [ "$pk_set_keys" = yes ]; then
  mkdir -p "$pk_home/.ssh" || pk_fail "cannot create $pk_home/.ssh"
  printf '%s\n' ${plan.sshPublicKeys} >"$pk_home/.ssh/authorized_keys.provkit" &&
    mv -f "$pk_home/.ssh/authorized_keys.provkit" "$pk_home/.ssh/authorized_keys" &&
    chown -R "$pk_u:$pk_group" "$pk_home/.ssh" && chmod 700 "$pk_home/.ssh" && chmod 600 "$pk_home/.ssh/authorized_keys" ||
    pk_fail "cannot write $pk_home/.ssh/authorized_keys"
  pk_say changed "$pk_home/.ssh/authorized_keys"
fi
if [ "$pk_admin" = yes ]; then
  [ -d /etc/sudoers.d ] || pk_fail "no /etc/sudoers.d: install sudo on the image to make administrators"
  # A name with a dot is ignored by sudo's includedir, so the candidate is inert until checked.
  pk_tmp=/etc/sudoers.d/.provkit-$pk_u.tmp
  printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$pk_u" >"$pk_tmp" && chmod 440 "$pk_tmp" || pk_fail "cannot write $pk_tmp"
  if pk_have visudo && ! visudo -cqf "$pk_tmp" >/dev/null 2>&1; then rm -f "$pk_tmp"; pk_fail "visudo rejected the sudoers drop-in for $pk_u"; fi
  if cmp -s "$pk_tmp" "$pk_dropin"; then rm -f "$pk_tmp"; pk_say kept "$pk_dropin"
  else mv -f "$pk_tmp" "$pk_dropin" || pk_fail "cannot install $pk_dropin"; pk_say created "$pk_dropin"; fi
else
  pk_rm "$pk_dropin"
fi
`);
}

/** Deletes an account (see `pk_delete_user`); deleting an absent account succeeds and reports nothing. */
export function deleteUserScript(username: string, removeHome: boolean, reservationUsersFile = RESERVATION_USERS_FILE): ShellFragment {
  return guestScript(sh`${userFunctions()}pk_min=$(pk_uid_min)
pk_target=${username}
if grep -q "^$pk_target:" /etc/passwd && ! grep -qx -- "$pk_target" ${reservationUsersFile} 2>/dev/null; then
  pk_id=$(awk -F: -v u="$pk_target" '$1 == u { print $3 }' /etc/passwd)
  [ "$pk_id" -lt "$pk_min" ] && pk_fail "refusing to delete system account $pk_target (uid $pk_id < UID_MIN $pk_min)"
fi
pk_delete_user "$pk_target" ${removeHome ? 'yes' : 'no'} ${reservationUsersFile}
`);
}

/** Sets passwords from `name:password` lines on standard input, after checking each account exists. */
export function setPasswordsScript(usernames: readonly string[]): ShellFragment {
  return guestScript(sh`for pk_u in ${usernames}; do grep -q "^$pk_u:" /etc/passwd || pk_fail "no account $pk_u"; done
pk_have chpasswd || pk_fail "no chpasswd on this guest"
chpasswd || pk_fail "chpasswd refused the new password"
for pk_u in ${usernames}; do pk_say changed "password of $pk_u"; done
`);
}

/**
 * Prints `admin <name>` for root and for every member of the sudo, wheel and admin groups or
 * holder of a provkit sudoers drop-in, except reservation accounts (their passwords are
 * theirs), and only accounts that exist.
 */
export function listAdministratorsScript(reservationUsersFile = RESERVATION_USERS_FILE): ShellFragment {
  return guestScript(sh`{
  echo root
  awk -F: '$1 == "sudo" || $1 == "wheel" || $1 == "admin" { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] != "") print m[i] }' /etc/group
  for pk_f in /etc/sudoers.d/provkit-*; do [ -f "$pk_f" ] && basename "$pk_f" | cut -c9-; done
} | sort -u | while read -r pk_u; do
  grep -q "^$pk_u:" /etc/passwd || continue
  [ "$pk_u" != root ] && grep -qx -- "$pk_u" ${reservationUsersFile} 2>/dev/null && continue
  echo "admin $pk_u"
done
`);
}

/** The names `listAdministratorsScript` printed. */
export function parseAdministrators(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('admin '))
    .map((line) => line.slice('admin '.length).trim())
    .filter((name) => /^[a-z_][a-z0-9_-]{0,31}$/.test(name));
}
