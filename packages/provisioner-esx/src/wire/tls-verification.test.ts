import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, Secret } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { tlsVerifier } from './tls-verification.ts';
import { VimClient } from './vim-client.ts';

describe('TLS verification options', () => {
  it('verifies against the system CAs by default and is insecure only when asked by name', () => {
    expect(tlsVerifier().connectOptions.rejectUnauthorized).toBe(true);
    expect(tlsVerifier().insecure).toBe(false);
    expect(tlsVerifier({ insecureSkipTlsVerify: true }).insecure).toBe(true);
  });

  it('accepts SHA-1 and SHA-256 thumbprints in any notation and refuses anything else', () => {
    expect(() => tlsVerifier({ thumbprint: '2c:11:ed:d7:13:87:7d:b5:74:18:b8:1c:42:c2:56:1f:0d:b9:5b:b9' })).not.toThrow();
    expect(() => tlsVerifier({ thumbprint: '44'.repeat(32) })).not.toThrow();
    expect(() => tlsVerifier({ thumbprint: 'AB:CD' })).toThrow(InvalidInputError);
  });

  it('refuses contradictory choices', () => {
    expect(() => tlsVerifier({ thumbprint: '44'.repeat(32), insecureSkipTlsVerify: true })).toThrow(InvalidInputError);
    expect(() => tlsVerifier({ ca: 'pem', thumbprint: '44'.repeat(32) })).toThrow(InvalidInputError);
  });
});

describe('VimClient input', () => {
  const password = Secret.of('secret-password');
  it('refuses plain http and credentials in the URL before any connection', () => {
    expect(() => new VimClient({ url: 'http://vcenter.example.org/sdk', username: 'u', password })).toThrow(InvalidInputError);
    expect(() => new VimClient({ url: 'https://u:p@vcenter.example.org/sdk', username: 'u', password })).toThrow(InvalidInputError);
    expect(() => new VimClient({ url: 'not a url', username: 'u', password })).toThrow(InvalidInputError);
    expect(() => new VimClient({ url: 'https://vcenter.example.org/sdk', username: '', password })).toThrow(InvalidInputError);
  });

  it('warns loudly when verification is off, without the password', () => {
    const warnings: string[] = [];
    const events = { emit: (_name: string, event: { message: string }) => warnings.push(event.message) } as never;
    const client = new VimClient({ url: 'https://vcenter.example.org/sdk', username: 'u', password, tls: { insecureSkipTlsVerify: true }, events });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('insecureSkipTlsVerify');
    expect(warnings[0]).not.toContain('secret-password');
    expect(client.requestCount).toBe(0);
  });

  it('refuses a missing or non-PEM CA file with InvalidInputError naming tls.caFile, before any connection', () => {
    const directory = mkdtempSync(join(tmpdir(), 'provkit-ca-'));
    try {
      const notPem = join(directory, 'not-a-cert.txt');
      writeFileSync(notPem, 'hello\n');
      for (const caFile of [join(directory, 'missing.pem'), notPem, '']) {
        const error = (() => {
          try {
            tlsVerifier({ caFile });
          } catch (failure) {
            return failure;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).field).toBe('tls.caFile');
      }
      expect(() => new VimClient({ url: 'https://vcenter.example.org/sdk', username: 'u', password, tls: { caFile: join(directory, 'missing.pem') } })).toThrow(InvalidInputError);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
