import { InvalidInputError, describeValue } from '@provkit/core';
import { accessGrantsOperation } from './access-grants-operation.ts';
import { fileOperations } from './file-operations.ts';
import type { GeneralizationOperation, OperationContext } from './generalization-operation.ts';
import { identityOperations } from './identity-operations.ts';
import { rhelFamilyOperations } from './rhel-family-operations.ts';
import { serviceDataOperations } from './service-data-operations.ts';
import { swapOperation } from './swap-operation.ts';
import { userDataOperations } from './user-data-operations.ts';
import { postLoadRecordOperation, rootPasswordOperation } from './vcl-operations.ts';

function named(list: readonly GeneralizationOperation[], name: string): GeneralizationOperation {
  const operation = list.find((candidate) => candidate.name === name);
  if (!operation) throw new Error(`os-linux: no operation ${name}`);
  return operation;
}

const all = [
  ...userDataOperations,
  accessGrantsOperation,
  rootPasswordOperation,
  postLoadRecordOperation,
  ...identityOperations,
  ...serviceDataOperations,
  ...rhelFamilyOperations,
  ...fileOperations,
  swapOperation,
];

/**
 * Every generalization operation, in the order they run: sessions and reservation accounts
 * first (nothing may hold files the later steps remove), identities and service state, then
 * histories, spools and caches, account file backups after the accounts are gone, rotated logs
 * before truncating logs, swap once nothing else is left to clean, access grants revoked once
 * every other change is made (see `accessGrantsOperation`), temporary files last.
 */
export const LINUX_OPERATIONS: readonly GeneralizationOperation[] = [
  'logoff-users',
  'reservation-accounts',
  'root-password',
  'ssh-hostkeys',
  'ssh-userdir',
  'machine-id',
  'net-hostname',
  'hostname-file',
  'net-hwaddr',
  'net-nmconn',
  'network-dhcp',
  'udev-persistent-net',
  'dhcp-client-state',
  'dhcp-server-state',
  'kerberos-hostkeytab',
  'ipa-client',
  'sssd-db-log',
  'puppet-data-log',
  'dovecot-data',
  'samba-db-log',
  'pam-data',
  'blkid-tab',
  'rh-subscription-manager',
  'rhn-systemid',
  'smolt-uuid',
  'yum-uuid',
  'rpm-db',
  'lvm-system-devices',
  'random-seed',
  'post-load-record',
  'bash-history',
  'zsh-history',
  'cron-spool',
  'mail-spool',
  'crash-data',
  'abrt-data',
  'package-manager-cache',
  'passwd-backups',
  'backup-files',
  'user-backup-files',
  'utmp',
  'pacct-log',
  'rotated-logs',
  'logfiles',
  'swap',
  'access-grants',
  'tmp-files',
].map((name) => named(all, name));

/** The names of every operation, in run order. */
export const LINUX_OPERATION_NAMES: readonly string[] = LINUX_OPERATIONS.map((operation) => operation.name);

/**
 * The operations to run: the named ones (validated, duplicates dropped, in catalog order, so
 * a caller cannot run logs before sessions), or the default set when no names are given.
 * Throws {@link InvalidInputError} naming `operations` for an unknown name.
 */
export function selectOperations(names: readonly string[] | undefined, context: OperationContext): GeneralizationOperation[] {
  if (names === undefined) {
    return LINUX_OPERATIONS.filter((operation) => (typeof operation.defaultEnabled === 'function' ? operation.defaultEnabled(context) : operation.defaultEnabled));
  }
  if (!Array.isArray(names)) throw new InvalidInputError('operations', 'expected an array of operation names');
  const unknown = names.filter((name) => typeof name !== 'string' || !LINUX_OPERATION_NAMES.includes(name));
  if (unknown.length > 0) {
    throw new InvalidInputError('operations', `unknown operation(s) ${unknown.map((name) => describeValue(name)).join(', ')}; known: ${LINUX_OPERATION_NAMES.join(', ')}`);
  }
  return LINUX_OPERATIONS.filter((operation) => names.includes(operation.name));
}
