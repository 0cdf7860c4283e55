import { describe, expect, it } from 'vitest';
import { InvalidInputError, Secret } from '@provkit/core';
import { thrownBy } from '../test-support/refusal.ts';
import { SshPool } from './ssh-pool.ts';
import { sshRunnerFactory } from './ssh-runner-factory.ts';
import type { SshTarget } from './ssh-options.ts';

const target = { host: '127.0.0.1', port: 22, username: 'root', password: Secret.of('pw'), hostKey: { kind: 'fingerprint', sha256: `SHA256:${'A'.repeat(43)}` } } as const;

describe('SSH targets are checked before any connection', () => {
  it('refuses an unknown hostKey.kind with a catchable InvalidInputError, not an unhandled rejection later', () => {
    const pool = new SshPool();
    const error = thrownBy(() => pool.runner({ ...target, hostKey: { kind: 'trust-me' } } as unknown as SshTarget));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'hostKey.kind' });
    expect(pool.stats.hosts).toBe(0);
  });

  it('refuses a missing hostKey with InvalidInputError, not a ConnectionError', () => {
    const { hostKey: _, ...withoutPolicy } = target;
    expect(thrownBy(() => new SshPool().runner(withoutPolicy as unknown as SshTarget))).toMatchObject({ code: 'INVALID_INPUT', field: 'hostKey' });
  });

  it('refuses bad credentials given to sshRunnerFactory when it is made, and a null node address when used', () => {
    const pool = new SshPool();
    expect(() => sshRunnerFactory(pool, { username: 'root', hostKey: { kind: 'nope' } as never })).toThrow(InvalidInputError);
    expect(() => sshRunnerFactory(pool, { username: 'root', password: 'plain' as never, hostKey: target.hostKey })).toThrow(InvalidInputError);
    expect(() => sshRunnerFactory(pool, { username: 'root', hostKey: { kind: 'fingerprint', sha256: [] } })).toThrow(InvalidInputError);
    const factory = sshRunnerFactory(pool, { username: 'root', hostKey: target.hostKey });
    expect(() => factory({ name: 'web-1', address: null as never })).toThrow(InvalidInputError);
    expect(() => factory({ name: 'web-1', address: { host: 'a;b' } })).toThrow(InvalidInputError);
  });

  it('accepts every documented policy', async () => {
    const pool = new SshPool();
    for (const hostKey of [target.hostKey, { kind: 'known-hosts', path: '/etc/ssh/ssh_known_hosts' }, { kind: 'accept-new', path: 'known_hosts' }, { kind: 'insecure-accept-any' }] as const) {
      expect(() => pool.runner({ ...target, hostKey })).not.toThrow();
    }
    await pool.close();
  });
});
