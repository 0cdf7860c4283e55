import { execFileSync } from 'node:child_process';
import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { SystemAccountError } from './system-account-error.ts';
import { accountIdsScript, createUserScript, refuseSystemAccounts } from './user-scripts.ts';

describe('system account refusal', () => {
  const facts = 'uid-min 1000\nuid daemon 1\nuid root 0\nuid alice 1001\nuid svc 120\nreserved svc\n';

  it('refuses an existing account below UID_MIN (root too) with a SystemAccountError naming the field', () => {
    const error = (() => {
      try {
        refuseSystemAccounts(facts, ['alice', 'daemon'], ['users[0].username', 'users[1].username'], 'give keys, a password or sudo to');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(SystemAccountError);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'users[1].username', username: 'daemon', uid: 1, uidMin: 1000 });
    expect((error as Error).message).toBe('Invalid users[1].username: refusing to give keys, a password or sudo to system account daemon (uid 1 < UID_MIN 1000)');
    expect(() => refuseSystemAccounts(facts, ['root'], ['username'], 'delete')).toThrow(SystemAccountError);
  });

  it('lets through new accounts, regular ones and the ones provkit created for a reservation', () => {
    expect(() => refuseSystemAccounts(facts, ['alice', 'newcomer', 'svc'], ['a', 'b', 'c'], 'delete')).not.toThrow();
  });

  it("follows the guest's UID_MIN, defaulting to 1000", () => {
    expect(() => refuseSystemAccounts('uid-min 500\nuid old 600\n', ['old'], ['username'], 'delete')).not.toThrow();
    expect(() => refuseSystemAccounts('uid old 600\n', ['old'], ['username'], 'delete')).toThrow(/UID_MIN 1000/);
  });

  it('the probe and the create script are valid shell', () => {
    execFileSync('/bin/dash', ['-n', '-c', accountIdsScript(['alice', 'daemon']).text]);
    execFileSync('/bin/dash', ['-n', '-c', createUserScript({ username: 'alice', sshPublicKeys: [], admin: true, withPassword: false }).text]);
  });
});
