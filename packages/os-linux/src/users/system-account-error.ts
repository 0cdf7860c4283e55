import { InvalidInputError } from '@provkit/core';

/**
 * The account exists on the guest as a system account (uid below the guest's `UID_MIN`, root
 * included): provkit neither gives it keys, a password or sudo nor deletes it. Thrown before
 * the guest is changed.
 */
export class SystemAccountError extends InvalidInputError {
  readonly username: string;
  readonly uid: number;
  /** The guest's `UID_MIN` (from /etc/login.defs, 1000 when it says nothing). */
  readonly uidMin: number;
  constructor(field: string, action: string, username: string, uid: number, uidMin: number) {
    super(field, `refusing to ${action} system account ${username} (uid ${uid} < UID_MIN ${uidMin})`);
    this.name = 'SystemAccountError';
    this.username = username;
    this.uid = uid;
    this.uidMin = uidMin;
  }
}
