import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/index.ts';
import { ConfigSection } from './config-section.ts';
import { hostKeyPolicyFromConfig, sshCredentialsFromConfig, sshTargetFromConfig } from './ssh-config.ts';

const FINGERPRINT = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('ConfigSection', () => {
  it('reads typed values and names a bad field by its full path', () => {
    const section = new ConfigSection('provisioner', { libraryDir: '/srv/images', count: 3, on: true, list: 'a', size: { memory: '2 GiB' } });
    expect(section.requiredString('libraryDir')).toBe('/srv/images');
    expect(section.positiveInteger('count')).toBe(3);
    expect(new ConfigSection('x', { off: 0, every: 60_000 }).nonNegativeInteger('off')).toBe(0);
    expect(new ConfigSection('x', { off: 0, every: 60_000 }).nonNegativeInteger('every')).toBe(60_000);
    expect(refusal(() => new ConfigSection('x', { bad: -1 }).nonNegativeInteger('bad')).message).toContain('x.bad');
    expect(section.boolean('on')).toBe(true);
    expect(section.strings('list')).toEqual(['a']);
    expect(section.section('size')?.bytes('memory')).toBe(2 * 1024 ** 3);
    expect(section.string('absent')).toBeUndefined();
    expect(refusal(() => section.requiredString('nodeDiskDir')).message).toContain('provisioner.nodeDiskDir');
    expect(refusal(() => section.positiveInteger('libraryDir')).message).toContain('provisioner.libraryDir');
    expect(refusal(() => new ConfigSection('x', { m: 2048 }).bytes('m')).message).toContain('x.m');
    expect(new ConfigSection('x', { key: '~/.ssh/id' }).localPath('key', '/home/me')).toBe('/home/me/.ssh/id');
    expect(refusal(() => new ConfigSection('x', { key: 'id' }).localPath('key')).message).toContain('x.key');
    expect(refusal(() => section.choice('libraryDir', ['a', 'b'])).message).toContain('is not one of a, b');
    expect(refusal(() => new ConfigSection('os', ['not', 'a', 'mapping'])).message).toContain('os');
  });

  it('reads secrets from the environment variable the file names, never from the file', () => {
    const section = new ConfigSection('api', { passwordEnv: 'PROVKIT_TEST_PASSWORD', missingEnv: 'PROVKIT_TEST_UNSET' });
    const secret = section.secretFromEnv('passwordEnv', { PROVKIT_TEST_PASSWORD: 's3cret' });
    expect(secret?.reveal()).toBe('s3cret');
    expect(String(secret)).toBe('[redacted]');
    expect(refusal(() => section.secretFromEnv('missingEnv', {})).message).toContain('PROVKIT_TEST_UNSET is not set');
  });
});

describe('SSH settings from configuration', () => {
  it('turns host-key settings into a policy and refuses a section without one', () => {
    expect(hostKeyPolicyFromConfig(new ConfigSection('h', { knownHostsPath: '/etc/kh' }))).toEqual({ kind: 'known-hosts', path: '/etc/kh' });
    expect(hostKeyPolicyFromConfig(new ConfigSection('h', { knownHostsPath: '/etc/kh', acceptNewHostKeys: true }))).toEqual({ kind: 'accept-new', path: '/etc/kh' });
    expect(hostKeyPolicyFromConfig(new ConfigSection('h', { hostKeyFingerprint: FINGERPRINT }))).toEqual({ kind: 'fingerprint', sha256: [FINGERPRINT] });
    expect(hostKeyPolicyFromConfig(new ConfigSection('h', { insecureAcceptAnyHostKey: true }))).toEqual({ kind: 'insecure-accept-any' });
    expect(refusal(() => hostKeyPolicyFromConfig(new ConfigSection('h', {}))).message).toContain('host keys are always verified');
    expect(refusal(() => hostKeyPolicyFromConfig(new ConfigSection('h', { hostKeyFingerprint: 'MD5:aa' }))).message).toContain('h.hostKeyFingerprint');
    expect(refusal(() => hostKeyPolicyFromConfig(new ConfigSection('h', { acceptNewHostKeys: true }))).message).toContain('needs knownHostsPath');
    expect(refusal(() => hostKeyPolicyFromConfig(new ConfigSection('h', { knownHostsPath: '/k', insecureAcceptAnyHostKey: true }))).message).toContain('give one of');
  });

  it('builds a target with credentials and validates host, port and key path', () => {
    const target = sshTargetFromConfig(new ConfigSection('provisioner.host', { host: 'kvm1.example.org', port: 2222, username: 'provkit', privateKeyPath: '/etc/provkit/id', knownHostsPath: '/etc/provkit/kh' }));
    expect(target).toEqual({ host: 'kvm1.example.org', port: 2222, username: 'provkit', privateKeyPath: '/etc/provkit/id', hostKey: { kind: 'known-hosts', path: '/etc/provkit/kh' } });
    expect(sshCredentialsFromConfig(new ConfigSection('os', { privateKeyPath: '/id', knownHostsPath: '/kh' }), { username: 'root' }).username).toBe('root');
    expect(refusal(() => sshTargetFromConfig(new ConfigSection('p.host', { host: 'a;b', username: 'u', privateKeyPath: '/id', knownHostsPath: '/kh' }))).message).toContain('p.host.host');
    expect(refusal(() => sshTargetFromConfig(new ConfigSection('p.host', { host: 'a', port: 70000, username: 'u', privateKeyPath: '/id', knownHostsPath: '/kh' }))).message).toContain('p.host.port');
    expect(refusal(() => sshTargetFromConfig(new ConfigSection('p.host', { host: 'a', username: 'u', privateKeyPath: '.ssh/id', knownHostsPath: '/kh' }))).message).toContain('p.host.privateKeyPath');
    expect(refusal(() => sshTargetFromConfig(new ConfigSection('p.host', { host: 'a', username: 'u', knownHostsPath: '/kh' }))).message).toContain('is required (or passwordEnv, or agent)');
  });
});
