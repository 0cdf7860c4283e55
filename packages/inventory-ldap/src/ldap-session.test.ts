import { Secret } from '@provkit/core';
import { InsufficientAccessError, InvalidCredentialsError, NoSuchObjectError, UnavailableError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { translateLdapError } from './ldap-errors.ts';
import { LdapSession, type LdapConnectionOptions } from './ldap-session.ts';

const valid: LdapConnectionOptions = { url: 'ldap://127.0.0.1:389', bindDN: 'cn=admin,dc=example,dc=org', password: Secret.of('pw') };

describe('LdapSession input checks (before any connection)', () => {
  it.each([
    [{ url: 'http://127.0.0.1' }, 'url'],
    [{ url: 'ldap://host/dc=x?cn' }, 'url'],
    [{ bindDN: '' }, 'bindDN'],
    [{ password: 'plain' as unknown as Secret }, 'password'],
    [{ tls: { caFile: '/etc/ssl/ca.pem' } }, 'tls'],
    [{ url: 'ldaps://127.0.0.1:636', tls: { caFile: '/nonexistent/ca.pem' } }, 'tls.caFile'],
  ])('refuses %j naming %s', (overrides, field) => {
    expect(() => new LdapSession({ ...valid, ...overrides })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });

  it('accepts ldaps:// and StartTLS settings', () => {
    expect(new LdapSession({ ...valid, url: 'ldaps://127.0.0.1:636/' }).url).toBe('ldaps://127.0.0.1:636');
    expect(() => new LdapSession({ ...valid, tls: { startTls: true, ca: '-----BEGIN CERTIFICATE-----' } })).not.toThrow();
  });
});

describe('LDAP errors to provkit errors', () => {
  const url = 'ldap://127.0.0.1:389';
  it.each([
    [new InvalidCredentialsError('bad'), 'AUTHENTICATION_FAILED', false],
    [new InsufficientAccessError('no'), 'PERMISSION_DENIED', false],
    [new UnavailableError('down'), 'REMOTE_FAULT', true],
    [new NoSuchObjectError('gone'), 'REMOTE_FAULT', false],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:389'), { code: 'ECONNREFUSED' }), 'CONNECTION_FAILED', true],
    [new Error('SearchRequest: Operation timed out'), 'TIMEOUT', true],
  ])('%s -> %s', (error, code, retryable) => {
    const translated = translateLdapError(error, url, 'search', 10_000);
    expect(translated).toMatchObject({ code, isRetryable: retryable });
    expect((translated as Error & { cause?: unknown }).cause).toBe(error);
  });
});
