import { raw } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

/**
 * virt-sysprep's operations for files the Red Hat family (RHEL, Fedora, CentOS, Rocky, ...)
 * lays out: machine-specific package database state, registration identities, hardware ids,
 * crash reports and LVM's device list. Each removes only those paths, so it is a no-op on a
 * guest of another family, which is why they run everywhere instead of after detecting one.
 */
export const rhelFamilyOperations: readonly GeneralizationOperation[] = [
  {
    name: 'rpm-db',
    origin: 'virt-sysprep',
    description: "Remove RPM's host-specific Berkeley DB environment files and locks (/var/lib/rpm/__db.*); rpm recreates them.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/lib/rpm/__db.*\n')) }),
  },
  {
    name: 'yum-uuid',
    origin: 'virt-sysprep',
    description: "Remove yum's installation UUID (/var/lib/yum/uuid); yum makes a new one on its next run.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /var/lib/yum/uuid\n')) }),
  },
  {
    name: 'rh-subscription-manager',
    origin: 'virt-sysprep',
    description: "Remove the Red Hat subscription manager's consumer identity and entitlement certificates (everything in /etc/pki/consumer and /etc/pki/entitlement; the directories stay).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /etc/pki/consumer /etc/pki/entitlement\n')) }),
  },
  {
    name: 'rhn-systemid',
    origin: 'virt-sysprep',
    description: 'Remove the Red Hat Network system id and osad credentials (/etc/sysconfig/rhn/systemid, /etc/sysconfig/rhn/osad-auth.conf).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /etc/sysconfig/rhn/systemid /etc/sysconfig/rhn/osad-auth.conf\n')) }),
  },
  {
    name: 'smolt-uuid',
    origin: 'virt-sysprep',
    description: "Remove Smolt's hardware UUID (/etc/sysconfig/hw-uuid, /etc/smolt/uuid, /etc/smolt/hw-uuid).",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /etc/sysconfig/hw-uuid /etc/smolt/uuid /etc/smolt/hw-uuid\n')) }),
  },
  {
    name: 'abrt-data',
    origin: 'virt-sysprep',
    description: 'Remove the crash reports ABRT collected (everything in /var/spool/abrt; the directory stays).',
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_empty_dir /var/spool/abrt\n')) }),
  },
  {
    name: 'lvm-system-devices',
    origin: 'virt-sysprep',
    description: "Remove LVM's device list (/etc/lvm/devices/system.devices), which names this machine's disks by id: a clone's disks have other ids, and LVM would ignore them.",
    defaultEnabled: true,
    build: () => ({ script: guestScript(raw('pk_rm_files /etc/lvm/devices/system.devices\n')) }),
  },
];
