import { raw } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

const ROTATED = String.raw`\( -name '*.[0-9]' -o -name '*.[0-9].gz' -o -name '*.gz' -o -name '*.xz' -o -name '*.bz2' -o -name '*.zst' -o -name '*.old' -o -name '*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' \)`;

/** Operations that remove files a machine accumulates: logs, caches, temporary and backup files. */
export const fileOperations: readonly GeneralizationOperation[] = [
  {
    name: 'crash-data',
    origin: 'virt-sysprep',
    description: 'Remove crash dumps (kdump, abrt, systemd-coredump).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /var/crash /var/log/dump /var/spool/abrt /var/lib/systemd/coredump\n')) }),
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
    description: 'Remove editor and package backup files (*~, *.bak, *.dpkg-old, *.rpmsave) under /etc, /root, /home, /srv and /opt.',
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`for pk_dir in /etc /root /home /srv /opt; do
  pk_find_rm "$pk_dir" -xdev -type f \( -name '*~' -o -name '*.bak' -o -name '*.dpkg-old' -o -name '*.rpmsave' \)
done
`)),
    }),
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
    description: "Truncate every log under /var/log (files stay, with their owners and modes, for the daemons that write them), remove journal files and installers' logs.",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_find_rm /var/log -type f \( -name '*.journal' -o -name '*.journal~' \)
pk_rm /var/log/installer /var/log/anaconda /root/anaconda-ks.cfg /root/original-ks.cfg /root/install.log /root/install.log.syslog
pk_find_truncate /var/log -type f -size +0
`)),
    }),
  },
  {
    name: 'tmp-files',
    origin: 'virt-sysprep',
    description: 'Empty /tmp and /var/tmp (the directories stay, with their sticky modes).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /tmp /var/tmp\n')) }),
  },
];
