import { Secret, createEmitter, type WarningEvent } from '@provkit/core';
import { InsufficientAccessError, InvalidCredentialsError, NoSuchObjectError, UnavailableError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { translateLdapError } from './ldap-errors.ts';
import { LdapSession, type LdapConnectionOptions } from './ldap-session.ts';

const valid: LdapConnectionOptions = { url: 'ldap://127.0.0.1:389', bindDN: 'cn=admin,dc=example,dc=org', password: Secret.of('pw'), tls: { startTls: true } };

describe('LdapSession input checks (before any connection)', () => {
  it.each([
    [{ url: 'http://127.0.0.1' }, 'url'],
    [{ url: 'ldap://host/dc=x?cn' }, 'url'],
    [{ bindDN: '' }, 'bindDN'],
    [{ password: 'plain' as unknown as Secret }, 'password'],
    [{ tls: { caFile: '/etc/ssl/ca.pem' } }, 'tls'],
    [{ url: 'ldaps://127.0.0.1:636', tls: { caFile: '/nonexistent/ca.pem' } }, 'tls.caFile'],
    // A simple bind in clear text takes the explicit opt-in.
    [{ tls: undefined }, 'tls'],
    [{ tls: undefined, allowPlaintextBind: false }, 'tls'],
    // The old Node-style switch is not silently honoured (nor silently ignored).
    [{ tls: { startTls: true, rejectUnauthorized: false } as LdapConnectionOptions['tls'] }, 'tls.rejectUnauthorized'],
    [{ tls: { startTls: true, insecureSkipTlsVerify: 'yes' as unknown as boolean } }, 'tls.insecureSkipTlsVerify'],
    [{ url: 'ldaps://127.0.0.1:636', tls: { insecureSkipTlsVerify: true, ca: '-----BEGIN CERTIFICATE-----' } }, 'tls.insecureSkipTlsVerify'],
  ])('refuses %j naming %s', (overrides, field) => {
    expect(() => new LdapSession({ ...valid, ...overrides })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });

  it('accepts ldaps:// and StartTLS settings', () => {
    expect(new LdapSession({ ...valid, url: 'ldaps://127.0.0.1:636/' }).url).toBe('ldaps://127.0.0.1:636');
    expect(() => new LdapSession({ ...valid, tls: { startTls: true, ca: '-----BEGIN CERTIFICATE-----' } })).not.toThrow();
    expect(() => new LdapSession({ ...valid, url: 'ldaps://127.0.0.1:636' })).not.toThrow();
  });

  it('takes a plain-text bind and skipped verification only when asked by name', () => {
    const { tls: _tls, ...plain } = valid;
    expect(() => new LdapSession({ ...plain, allowPlaintextBind: true })).not.toThrow();
    expect(() => new LdapSession({ ...valid, tls: { startTls: true, insecureSkipTlsVerify: true } })).not.toThrow();
    // Over TLS nothing is sent in clear: the opt-in is moot, not an error.
    expect(() => new LdapSession({ ...valid, allowPlaintextBind: true })).not.toThrow();
  });

  it('says what the refused plain-text bind would do, without the password', () => {
    const { tls: _tls, ...plain } = valid;
    let message = '';
    try {
      new LdapSession({ ...plain, password: Secret.of('s3cret-pw') });
    } catch (caught) {
      message = (caught as Error).message;
    }
    expect(message).toMatch(/clear text.*allowPlaintextBind: true/);
    expect(message).not.toContain('s3cret-pw');
  });
});

describe('LdapSession warnings (nothing listens on 127.0.0.1:1, so no bind is ever sent)', () => {
  async function warningsOf(options: Partial<LdapConnectionOptions>): Promise<WarningEvent[]> {
    const events = createEmitter();
    const warnings: WarningEvent[] = [];
    events.on('warning', (event) => warnings.push(event));
    const session = new LdapSession({ ...valid, url: 'ldap://127.0.0.1:1', password: Secret.of('s3cret-pw'), connectTimeoutMs: 2_000, events, ...options });
    // Two attempts: one warning per connection, not one per session.
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(session.search('dc=example,dc=org', { scope: 'base', filter: '(objectClass=*)' })).rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
    }
    await session.close();
    for (const warning of warnings) expect(JSON.stringify(warning)).not.toContain('s3cret-pw');
    return warnings;
  }

  it('warns on each connection that would bind in clear text', async () => {
    const warnings = await warningsOf({ allowPlaintextBind: true, tls: undefined });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ operation: 'ldap-connect', message: expect.stringMatching(/cn=admin,dc=example,dc=org.*clear text.*allowPlaintextBind/) });
  });

  it('warns on each connection whose certificate is not verified', async () => {
    const warnings = await warningsOf({ url: 'ldaps://127.0.0.1:1', tls: { insecureSkipTlsVerify: true } });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.message).toMatch(/verification of ldaps:\/\/127\.0\.0\.1:1 is OFF \(insecureSkipTlsVerify\)/);
  });

  it('is silent when the connection is verified TLS', async () => {
    expect(await warningsOf({ tls: { startTls: true } })).toEqual([]);
    expect(await warningsOf({ url: 'ldaps://127.0.0.1:1', tls: {} })).toEqual([]);
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
