import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configObject, parseConfig } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { refusal } from '../test-support/refusal.ts';
import { refineSshCredentials, hostKeyPolicyFromConfig, sshCredentialsFromConfig, sshCredentialsShape, sshTargetFromConfig, sshTargetShape } from './ssh-config.ts';

const FINGERPRINT = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';
const dir = mkdtempSync(join(tmpdir(), 'provkit-ssh-config-'));
const KEY = join(dir, 'id');
const KNOWN_HOSTS = join(dir, 'known_hosts');
writeFileSync(KEY, 'not read by these tests\n');
writeFileSync(KNOWN_HOSTS, '');

const credentials = configObject(sshCredentialsShape).superRefine(refineSshCredentials);
const target = configObject(sshTargetShape).superRefine(refineSshCredentials);

describe('SSH settings from configuration', () => {
  it('turns host-key settings into a policy and refuses a section without one, in a sentence that reads', () => {
    const parse = (value: unknown) => parseConfig(credentials, 'h', value);
    expect(hostKeyPolicyFromConfig(parse({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS }))).toEqual({ kind: 'known-hosts', path: KNOWN_HOSTS });
    expect(hostKeyPolicyFromConfig(parse({ privateKeyPath: KEY, knownHostsPath: join(dir, 'new_known_hosts'), acceptNewHostKeys: true }))).toEqual({ kind: 'accept-new', path: join(dir, 'new_known_hosts') });
    expect(hostKeyPolicyFromConfig(parse({ privateKeyPath: KEY, hostKeyFingerprint: FINGERPRINT }))).toEqual({ kind: 'fingerprint', sha256: [FINGERPRINT] });
    expect(hostKeyPolicyFromConfig(parse({ privateKeyPath: KEY, insecureAcceptAnyHostKey: true }))).toEqual({ kind: 'insecure-accept-any' });
    expect(refusal(() => parse({ privateKeyPath: KEY })).message).toBe(
      'Invalid h.knownHostsPath: is required (or hostKeyFingerprint): host keys are always verified; insecureAcceptAnyHostKey: true turns that off, for throwaway labs only',
    );
    expect(refusal(() => parse({ privateKeyPath: KEY, hostKeyFingerprint: 'MD5:aa' })).field).toBe('h.hostKeyFingerprint');
    expect(refusal(() => parse({ privateKeyPath: KEY, acceptNewHostKeys: true })).message).toContain('needs knownHostsPath');
    expect(refusal(() => parse({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, insecureAcceptAnyHostKey: true })).message).toContain('give only one of');
  });

  it('checks the key and known_hosts files when parsed, not at first connect', () => {
    const parse = (value: unknown) => parseConfig(target, 'p.host', { host: 'kvm1', ...(value as object) });
    expect(refusal(() => parse({ privateKeyPath: join(dir, 'nokey'), knownHostsPath: KNOWN_HOSTS })).message).toBe(`Invalid p.host.privateKeyPath: ${join(dir, 'nokey')} does not exist`);
    expect(refusal(() => parse({ privateKeyPath: KEY, knownHostsPath: join(dir, 'nokh') })).message).toBe(`Invalid p.host.knownHostsPath: ${join(dir, 'nokh')} does not exist`);
    expect(refusal(() => parse({ privateKeyPath: KEY, knownHostsPath: '/nonexistent-dir/kh', acceptNewHostKeys: true })).field).toBe('p.host.knownHostsPath');
  });

  it('builds a target with credentials and validates host, port, timeout and key path', () => {
    const parsed = parseConfig(target, 'provisioner.host', { host: 'kvm1.example.org', port: 2222, username: 'provkit', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, connectTimeoutMs: 3000 });
    expect(parsed.connectTimeoutMs).toBe(3000);
    expect(sshTargetFromConfig(parsed, { path: 'provisioner.host' })).toEqual({ host: 'kvm1.example.org', port: 2222, username: 'provkit', privateKeyPath: KEY, hostKey: { kind: 'known-hosts', path: KNOWN_HOSTS } });
    expect(sshCredentialsFromConfig(parseConfig(credentials, 'os', { privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS }), { path: 'os', username: 'root' }).username).toBe('root');
    expect(refusal(() => sshTargetFromConfig(parseConfig(target, 'p.host', { host: 'a', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS }), { path: 'p.host' })).message).toBe('Invalid p.host.username: is required');
    const base = { username: 'u', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS };
    expect(refusal(() => parseConfig(target, 'p.host', { ...base, host: 'a;b' })).field).toBe('p.host.host');
    expect(refusal(() => parseConfig(target, 'p.host', { ...base, host: 'a', port: 70000 })).field).toBe('p.host.port');
    expect(refusal(() => parseConfig(target, 'p.host', { ...base, host: 'a', connectTimeoutMs: 'soon' })).field).toBe('p.host.connectTimeoutMs');
    expect(refusal(() => parseConfig(target, 'p.host', { ...base, host: 'a', privateKeyPath: '.ssh/id' })).field).toBe('p.host.privateKeyPath');
    expect(refusal(() => parseConfig(target, 'p.host', { host: 'a', username: 'u', knownHostsPath: KNOWN_HOSTS })).message).toContain('is required (or passwordEnv, or agent)');
  });

  it('reads the password from the variable the file names, own variables only', () => {
    const parsed = parseConfig(credentials, 'os', { passwordEnv: 'hasOwnProperty', knownHostsPath: KNOWN_HOSTS });
    expect(refusal(() => sshCredentialsFromConfig(parsed, { path: 'os', username: 'root', env: {} })).message).toBe('Invalid os.passwordEnv: environment variable hasOwnProperty is not set');
    expect(refusal(() => parseConfig(credentials, 'os', { passwordEnv: 'NOT A NAME', knownHostsPath: KNOWN_HOSTS })).field).toBe('os.passwordEnv');
  });
});
