import { raw, sh, type ShellFragment } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

const ROTATED = String.raw`\( -name '*.[0-9]' -o -name '*.[0-9].gz' -o -name '*.gz' -o -name '*.xz' -o -name '*.bz2' -o -name '*.zst' -o -name '*.old' -o -name '*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' \)`;

/** The trees virt-sysprep's backup-files examines on Linux (/tmp too, though tmp-files empties it anyway). */
const SYSTEM_TREES = ['/etc', '/root', '/srv', '/tmp', '/var'] as const;
/** Where backup files are user or application data: only the opt-in user-backup-files looks there. */
const USER_TREES = ['/home', '/opt'] as const;
const BACKUP_PATTERNS_TEXT = '*~, *.bak, *.dpkg-old, *.rpmsave';

/** Removes regular files named like backups under each tree, staying on that tree's file system. */
function backupFilesScript(trees: readonly string[]): ShellFragment {
  return sh`for pk_dir in ${trees}; do
  pk_find_rm "$pk_dir" -xdev -type f \\( -name '*~' -o -name '*.bak' -o -name '*.dpkg-old' -o -name '*.rpmsave' \\)
done
`;
}

/** Operations that remove files a machine accumulates: logs, caches, temporary and backup files. */
export const fileOperations: readonly GeneralizationOperation[] = [
  {
    name: 'crash-data',
    origin: 'virt-sysprep',
    description: 'Remove crash dumps (kdump in /var/crash and /var/log/dump, systemd-coredump); ABRT reports are abrt-data.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /var/crash /var/log/dump /var/lib/systemd/coredump\n')) }),
  },
  {
    name: 'package-manager-cache',
    origin: 'virt-sysprep',
    description: 'Remove downloaded packages and package indexes caches (apt, dnf, yum, zypper, apk, pacman).',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_find_rm /var/cache/apt -type f \( -name '*.deb' -o -name '*.bin' -o -path '*/partial/*' \)
pk_empty_dir /var/cache/dnf /var/cache/yum /var/cache/zypp/packages /var/cache/apk /var/cache/pacman/pkg
`)),
    }),
  },
  {
    name: 'passwd-backups',
    origin: 'virt-sysprep',
    description: 'Remove the backup copies of the account files (/etc/passwd- and friends), which hold old accounts and hashes.',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm /etc/passwd- /etc/shadow- /etc/group- /etc/gshadow- /etc/subuid- /etc/subgid-\n')) }),
  },
  {
    name: 'backup-files',
    origin: 'virt-sysprep',
    description: `Remove editor and package backup files (${BACKUP_PATTERNS_TEXT}) under ${SYSTEM_TREES.join(', ')} (virt-sysprep's trees: /var holds /var/backups/*.bak, the account file copies with password hashes). Never /home or /opt: that is user-backup-files, opt-in.`,
    defaultEnabled: true,
    build: () => ({ script: guestScript(backupFilesScript(SYSTEM_TREES)) }),
  },
  {
    name: 'user-backup-files',
    origin: 'provkit',
    description: `Opt-in: remove ${BACKUP_PATTERNS_TEXT} under ${USER_TREES.join(' and ')}, where they are user and application data.`,
    defaultEnabled: false,
    build: () => ({ script: guestScript(backupFilesScript(USER_TREES)) }),
  },
  {
    name: 'utmp',
    origin: 'virt-sysprep',
    description: 'Truncate the record of current logins (utmp).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_truncate /run/utmp /var/run/utmp\n')) }),
  },
  {
    name: 'pacct-log',
    origin: 'virt-sysprep',
    description: 'Truncate the process accounting log and remove its rotated copies.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_truncate /var/account/pacct /var/log/account/pacct /var/log/pacct
pk_find_rm /var/account -type f -name 'pacct?*'
pk_find_rm /var/log/account -type f -name 'pacct?*'
`)),
    }),
  },
  {
    name: 'rotated-logs',
    origin: 'vcl',
    description: 'Remove rotated logs under /var/log (*.1, *.gz, *-YYYYMMDD, *.old, ...) (VCL).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw(`pk_find_rm /var/log -type f ${ROTATED}\n`)) }),
  },
  {
    name: 'logfiles',
    origin: 'virt-sysprep',
    description:
      "Truncate every log under /var/log (files stay, with their owners and modes, for the daemons that write them); remove the journal's directories (named after the old machine-id), installers' logs and kickstart files, and the other traces virt-sysprep's logfiles removes: logrotate's state, named's run log, the man and fontconfig caches, gdm's cache, AccountsService's user records, fprint's enrolments and OpenPegasus's keys.",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_empty_dir /var/log/journal
pk_rm /var/log/installer /var/log/anaconda /var/log/anaconda.syslog
pk_rm /root/anaconda-ks.cfg /root/anaconda-post.log /root/initial-setup-ks.cfg /root/original-ks.cfg /root/install.log /root/install.log.syslog
pk_rm /var/lib/logrotate.status /var/lib/logrotate/status /var/named/data/named.run
pk_empty_dir /var/cache/man /var/cache/fontconfig /var/cache/gdm /var/lib/AccountService/users /var/lib/AccountsService/users /var/lib/fprint
pk_rm_files /etc/Pegasus/*.cnf /etc/Pegasus/*.crt /etc/Pegasus/*.csr /etc/Pegasus/*.pem /etc/Pegasus/*.srl
pk_find_truncate /var/log -type f -size +0
`)),
    }),
  },
  {
    name: 'random-seed',
    origin: 'provkit',
    description:
      "Remove the saved random seed (/var/lib/systemd/random-seed, /var/lib/urandom/random-seed, /var/lib/random-seed), so clones do not start from one seed; each makes its own on first boot. virt-sysprep's customize writes a fresh seed instead, which every clone of the image then shares.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/lib/systemd/random-seed /var/lib/urandom/random-seed /var/lib/random-seed\n')) }),
  },
  {
    name: 'tmp-files',
    origin: 'virt-sysprep',
    description: 'Empty /tmp and /var/tmp (the directories stay, with their sticky modes).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /tmp /var/tmp\n')) }),
  },
];
