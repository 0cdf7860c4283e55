import { raw } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

/**
 * virt-sysprep's operations for the state of common services: domain enrolment (IPA, sssd),
 * configuration management (puppet), mail (dovecot), file sharing (samba), PAM's runtime
 * records and the old blkid cache. Like virt-sysprep they remove files and keep the
 * directories, so a service that is reinstalled or re-enrolled finds its layout.
 */
export const serviceDataOperations: readonly GeneralizationOperation[] = [
  {
    name: 'ipa-client',
    origin: 'virt-sysprep',
    description: "Unenroll from FreeIPA without contacting the server: remove /etc/ipa/ca.crt, /etc/ipa/default.conf, the files in /var/lib/ipa-client/sysrestore and /var/lib/ipa-client/pki, and IPA's CA from the system store (then refreshed with update-ca-trust or update-ca-certificates).",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`pk_rm_files /etc/ipa/ca.crt /etc/ipa/default.conf /var/lib/ipa-client/sysrestore/* /var/lib/ipa-client/pki/*
pk_ca=no
for pk_f in /etc/pki/ca-trust/source/anchors/ipa-ca.crt /usr/local/share/ca-certificates/ipa-ca.crt /etc/pki/ca-trust/source/ipa.p11-kit; do
  if [ -f "$pk_f" ] || [ -L "$pk_f" ]; then pk_rm_files "$pk_f"; pk_ca=yes; fi
done
if [ "$pk_ca" = yes ]; then
  if pk_have update-ca-trust; then update-ca-trust extract >/dev/null 2>&1 || pk_fail "update-ca-trust failed"; pk_say changed "system CA store (update-ca-trust)"
  elif pk_have update-ca-certificates; then update-ca-certificates --fresh >/dev/null 2>&1 || pk_fail "update-ca-certificates failed"; pk_say changed "system CA store (update-ca-certificates)"
  else pk_say note "no update-ca-trust or update-ca-certificates: the system CA bundle may still hold IPA's CA"; fi
fi
`)),
    }),
  },
  {
    name: 'sssd-db-log',
    origin: 'virt-sysprep',
    description: "Remove sssd's logs (/var/log/sssd/*) and its cache databases (/var/lib/sss/db/*), which hold this machine's view of domain users and cached credentials.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/log/sssd/* /var/lib/sss/db/*\n')) }),
  },
  {
    name: 'puppet-data-log',
    origin: 'virt-sysprep',
    description: "Remove puppet's logs (/var/log/puppet/*) and the files of its state directories two and three levels down (/var/lib/puppet/*/* and /var/lib/puppet/*/*/*: state, reports, client data, the agent's SSL private key and certificates).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/log/puppet/* /var/lib/puppet/*/* /var/lib/puppet/*/*/*\n')) }),
  },
  {
    name: 'dovecot-data',
    origin: 'virt-sysprep',
    description: "Remove dovecot's data files (/var/lib/dovecot/*: instance records, the SSL parameters it generated).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/lib/dovecot/*\n')) }),
  },
  {
    name: 'samba-db-log',
    origin: 'virt-sysprep',
    description: "Remove Samba's logs (/var/log/samba/*, /var/log/samba/old/*) and its tdb databases (/var/lib/samba/* and /var/lib/samba/*/*: secrets.tdb with the machine account password, caches).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/log/samba/old/* /var/log/samba/* /var/lib/samba/*/* /var/lib/samba/*\n')) }),
  },
  {
    name: 'pam-data',
    origin: 'virt-sysprep',
    description: "Remove PAM's runtime records: console ownership, failed-login counters (faillock) and sepermit locks (/var/run/console/*, /var/run/faillock/*, /var/run/sepermit/*).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/run/console/* /var/run/faillock/* /var/run/sepermit/*\n')) }),
  },
  {
    name: 'blkid-tab',
    origin: 'virt-sysprep',
    description: "Remove the blkid cache (blkid.tab and blkid.tab.old in /var/run, /etc/blkid, /etc and /dev), which maps this machine's devices to their ids; symbolic links are left alone.",
    defaultEnabled: true,
    build: () => ({
      script: guestScript(raw(String.raw`for pk_f in /var/run/blkid.tab /var/run/blkid.tab.old /etc/blkid/blkid.tab /etc/blkid/blkid.tab.old /etc/blkid.tab /etc/blkid.tab.old /dev/.blkid.tab /dev/.blkid.tab.old; do
  [ -L "$pk_f" ] || pk_rm_files "$pk_f"
done
`)),
    }),
  },
];
