import { InvalidInputError, describeValue } from '@provkit/core';
import { accessGrantsOperation } from './access-grants-operation.ts';
import { fileOperations } from './file-operations.ts';
import type { GeneralizationOperation, OperationContext } from './generalization-operation.ts';
import { identityOperations } from './identity-operations.ts';
import { userDataOperations } from './user-data-operations.ts';
import { postLoadRecordOperation, rootPasswordOperation } from './vcl-operations.ts';

function named(list: readonly GeneralizationOperation[], name: string): GeneralizationOperation {
  const operation = list.find((candidate) => candidate.name === name);
  if (!operation) throw new Error(`os-linux: no operation ${name}`);
  return operation;
}

const all = [...userDataOperations, accessGrantsOperation, rootPasswordOperation, postLoadRecordOperation, ...identityOperations, ...fileOperations];

/**
 * Every generalization operation, in the order they run: sessions and reservation accounts
 * first (nothing may hold files the later steps remove), account file backups after the
 * accounts are gone, rotated logs before truncating logs, access grants revoked once every
 * other change is made (see `accessGrantsOperation`), temporary files last.
 */
export const LINUX_OPERATIONS: readonly GeneralizationOperation[] = [
  'logoff-users',
  'user-account',
  'root-password',
  'ssh-hostkeys',
  'ssh-userdir',
  'machine-id',
  'net-hostname',
  'hostname-file',
  'net-hwaddr',
  'net-nmconn',
  'udev-persistent-net',
  'dhcp-client-state',
  'dhcp-server-state',
  'kerberos-hostkeytab',
  'post-load-record',
  'bash-history',
  'zsh-history',
  'cron-spool',
  'mail-spool',
  'crash-data',
  'package-manager-cache',
  'passwd-backups',
  'backup-files',
  'utmp',
  'pacct-log',
  'rotated-logs',
  'logfiles',
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
