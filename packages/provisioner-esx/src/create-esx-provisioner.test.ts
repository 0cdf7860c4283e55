import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { createEsxProvisioner } from './create-esx-provisioner.ts';

// Key and known_hosts files are checked when the factory runs, so they must exist.
const files = mkdtempSync(join(tmpdir(), 'provkit-factory-'));
const KEY = join(files, 'id');
const KNOWN_HOSTS = join(files, 'known_hosts');
writeFileSync(KEY, '');
writeFileSync(KNOWN_HOSTS, '');

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
    const ssh = createEsxProvisioner({ kind: 'esx', ssh: { host: 'esxi1.example.org', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, datastore: 'datastore1' } });
    expect(ssh.capabilities.linkedClones).toBe(false);
    await ssh.close();
  });

  it('reads the timeouts, preCaptureTimeoutMs among them, and leaves preCaptureTimeoutMs unset when the file has none', async () => {
    const ssh = { host: 'esxi1.example.org', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, datastore: 'datastore1' };
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
    expect(fieldOf({ kind: 'esx', api: API, ssh: { host: 'esxi1', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, datastore: 'ds' } })).toBe('provisioner.api');
    expect(fieldOf({ kind: 'esx', api: { ...API, tls: { caFile: join(files, 'no-ca.pem') } } })).toBe('provisioner.api.tls.caFile');
    expect(fieldOf({ kind: 'kvm', api: API })).toBe('provisioner.kind');
    expect(fieldOf({ kind: 'esx', api: { ...API, requestTimeoutMs: 'soon' } })).toBe('provisioner.api.requestTimeoutMs');
    expect(fieldOf({ kind: 'esx', ssh: { host: 'esxi1', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, datastore: 'ds', datastor: 'x' } })).toBe('provisioner.ssh.datastor');
    expect(fieldOf({ kind: 'esx', api: { ...API, url: 'vcenter' } })).toBe('provisioner.api.url');
    expect(fieldOf({ kind: 'esx', api: API })).toBe('provisioner.api.passwordEnv');
    expect(fieldOf({ kind: 'esx', api: { ...API, passwordEnv: undefined } })).toBe('provisioner.api.passwordEnv');
    expect(fieldOf({ kind: 'esx', ssh: { host: 'esxi1', privateKeyPath: KEY, datastore: 'ds' } })).toBe('provisioner.ssh.knownHostsPath');
    expect(fieldOf({ kind: 'esx', ssh: { host: 'esxi1', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS } })).toBe('provisioner.ssh.datastore');
  });
});
