import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { createEsxProvisioner } from './create-esx-provisioner.ts';

const API = { url: 'https://vcenter.example.org/sdk', username: 'provkit@vsphere.local', passwordEnv: 'PROVKIT_TEST_VCENTER_PASSWORD' };

function fieldOf(config: Record<string, unknown>): string {
  try {
    createEsxProvisioner(config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.field;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('createEsxProvisioner', () => {
  it('builds the API back end with the password from the environment, and the SSH back end', async () => {
    process.env.PROVKIT_TEST_VCENTER_PASSWORD = 'not-in-the-file';
    try {
      const api = createEsxProvisioner({ kind: 'esx', api: { ...API, tls: { thumbprint: 'AB'.repeat(20) }, imagesFolder: 'provkit/images' }, defaultSize: { memory: '4 GiB' } });
      expect(api.capabilities.linkedClones).toBe(true);
      await api.close();
    } finally {
      delete process.env.PROVKIT_TEST_VCENTER_PASSWORD;
    }
    const ssh = createEsxProvisioner({ kind: 'esx', ssh: { host: 'esxi1.example.org', privateKeyPath: '/etc/provkit/id', knownHostsPath: '/etc/provkit/known_hosts', datastore: 'datastore1' } });
    expect(ssh.capabilities.linkedClones).toBe(false);
    await ssh.close();
  });

  it('reads the timeouts, preCaptureTimeoutMs among them, and leaves preCaptureTimeoutMs unset when the file has none', async () => {
    const ssh = { host: 'esxi1.example.org', privateKeyPath: '/etc/provkit/id', knownHostsPath: '/etc/provkit/known_hosts', datastore: 'datastore1' };
    const timed = createEsxProvisioner({ kind: 'esx', ssh, toolsTimeoutMs: 60_000, bootTimeoutMs: 120_000, shutdownTimeoutMs: 30_000, preCaptureTimeoutMs: 1_800_000 });
    expect(timed.settings).toMatchObject({ toolsTimeoutMs: 60_000, bootTimeoutMs: 120_000, shutdownTimeoutMs: 30_000, preCaptureTimeoutMs: 1_800_000 });
    await timed.close();
    const untimed = createEsxProvisioner({ kind: 'esx', ssh });
    expect(untimed.settings.preCaptureTimeoutMs).toBeUndefined();
    await untimed.close();
    expect(fieldOf({ kind: 'esx', ssh, preCaptureTimeoutMs: 0 })).toBe('provisioner.preCaptureTimeoutMs');
    expect(fieldOf({ kind: 'esx', ssh, preCaptureTimeoutMs: '30 min' })).toBe('provisioner.preCaptureTimeoutMs');
  });

  it('refuses a bad section naming the field, before connecting to anything', () => {
    expect(fieldOf({ kind: 'esx' })).toBe('provisioner.api');
    expect(fieldOf({ kind: 'esx', api: API, ssh: {} })).toBe('provisioner.api');
    expect(fieldOf({ kind: 'esx', api: { ...API, url: 'vcenter' } })).toBe('provisioner.api.url');
    expect(fieldOf({ kind: 'esx', api: API })).toBe('provisioner.api.passwordEnv');
    expect(fieldOf({ kind: 'esx', api: { ...API, passwordEnv: undefined } })).toBe('provisioner.api.passwordEnv');
    expect(fieldOf({ kind: 'esx', ssh: { host: 'esxi1', privateKeyPath: '/id', datastore: 'ds' } })).toBe('provisioner.ssh.knownHostsPath');
    expect(fieldOf({ kind: 'esx', ssh: { host: 'esxi1', privateKeyPath: '/id', knownHostsPath: '/kh' } })).toBe('provisioner.ssh.datastore');
  });
});
