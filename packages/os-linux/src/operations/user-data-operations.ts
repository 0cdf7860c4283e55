import { raw, sh } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import { userFunctions } from '../users/user-functions.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

/** Operations that remove people's traces: sessions, reservation accounts, histories, spools. */
export const userDataOperations: readonly GeneralizationOperation[] = [
  {
    name: 'logoff-users',
    origin: 'vcl',
    description: 'Log users off (VCL): kill every process of a regular account (uid from UID_MIN, not nobody).',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(sh`${userFunctions()}pk_min=$(pk_uid_min)
awk -F: -v min="$pk_min" '$3 >= min && $3 != 65534 { print $3 }' /etc/passwd | sort -un | while read -r pk_id; do pk_kill_uid "$pk_id"; done || exit 1
`),
    }),
  },
  {
    name: 'reservation-accounts',
    origin: 'vcl',
    description: "Delete the accounts provkit created for reservations (VCL's delete reservation users), with their homes, mail, crontabs and sudoers drop-ins; the image's own accounts stay. (virt-sysprep's user-account, off by default there, deletes every account but root: provkit has no such step.)",
    defaultEnabled: true,
    build: (context) => ({
      script: guestScript(sh`${userFunctions()}pk_list=${context.reservationUsersFile}
if [ -f "$pk_list" ]; then
  for pk_name in $(cat "$pk_list"); do pk_delete_user "$pk_name" yes "$pk_list"; done
  [ -s "$pk_list" ] && pk_fail "some reservation accounts remain in $pk_list"
  pk_rm "$pk_list"
fi
`),
    }),
  },
  {
    name: 'ssh-userdir',
    origin: 'virt-sysprep',
    description: "Remove users' ~/.ssh directories; root's authorized_keys stays unless keepRootAuthorizedKeys is false (the provisioner's way in).",
    defaultEnabled: true,
    build: (context) => ({
      script: guestScript(sh`pk_keep_root=${context.keepRootAuthorizedKeys ? 'yes' : 'no'}
for pk_home in $(pk_homes); do
  if [ "$pk_home" = /root ] && [ "$pk_keep_root" = yes ] && [ -f /root/.ssh/authorized_keys ]; then
    for pk_entry in /root/.ssh/* /root/.ssh/.[!.]*; do [ "$pk_entry" = /root/.ssh/authorized_keys ] || pk_rm "$pk_entry"; done
    pk_say kept /root/.ssh/authorized_keys
  else
    pk_rm "$pk_home/.ssh"
  fi
done
`),
    }),
  },
  {
    name: 'bash-history',
    origin: 'virt-sysprep',
    description: 'Remove bash histories of root and every user under /home.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('for pk_home in $(pk_homes); do pk_rm "$pk_home/.bash_history"; done\n')) }),
  },
  {
    name: 'zsh-history',
    origin: 'virt-sysprep',
    // Not in Debian's virt-sysprep 1.48.2; guestfs-tools' later sysprep_operation_zsh_history.ml.
    description: 'Remove zsh histories of root and every user under /home.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('for pk_home in $(pk_homes); do pk_rm "$pk_home/.zsh_history" "$pk_home/.zhistory" "$pk_home/.histfile"; done\n')) }),
  },
  {
    name: 'cron-spool',
    origin: 'virt-sysprep',
    description: "Remove users' crontabs and queued at jobs (the spool directories stay, so cron and at keep working).",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_find_rm /var/spool/cron -type f ! -name .SEQ
pk_find_rm /var/spool/at -type f ! -name .SEQ
`)),
    }),
  },
  {
    name: 'mail-spool',
    origin: 'virt-sysprep',
    description: 'Remove local mailboxes in /var/mail and /var/spool/mail.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_find_rm /var/mail/ -type f\npk_find_rm /var/spool/mail/ -type f\n')) }),
  },
];
