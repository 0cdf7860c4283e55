import { InvalidInputError, LocalRunner } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { createKvmProvisioner } from './create-kvm-provisioner.ts';

const HOST = { host: 'kvm1.example.org', username: 'provkit', privateKeyPath: '/etc/provkit/id', knownHostsPath: '/etc/provkit/known_hosts' };
const BASE = { kind: 'kvm', host: HOST, libraryDir: '/var/lib/provkit/images', nodeDiskDir: '/var/lib/libvirt/images' };

function fieldOf(config: Record<string, unknown>): string {
  try {
    createKvmProvisioner(config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.field;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('createKvmProvisioner', () => {
  it('builds a provisioner from a configuration section, with units and a network', async () => {
    const provisioner = createKvmProvisioner({ ...BASE, domainType: 'qemu', network: { kind: 'bridge', bridge: 'br0' }, defaultSize: { cpus: 2, memory: '2 GiB' }, bootTimeoutMs: 60_000 });
    expect(provisioner.settings).toMatchObject({ domainType: 'qemu', network: { kind: 'bridge', bridge: 'br0' }, defaultSize: { cpus: 2, memoryBytes: 2 * 1024 ** 3 }, bootTimeoutMs: 60_000 });
    expect(provisioner.host).toBeDefined();
    await provisioner.close();
    const local = createKvmProvisioner({ ...BASE, host: 'local' });
    expect(local.settings.runner).toBeInstanceOf(LocalRunner);
  });

  it('refuses a bad section naming the field, before connecting to anything', () => {
    expect(fieldOf({ kind: 'kvm', libraryDir: '/a', nodeDiskDir: '/b' })).toBe('provisioner.host');
    expect(fieldOf({ ...BASE, host: { ...HOST, knownHostsPath: undefined } })).toBe('provisioner.host.knownHostsPath');
    expect(fieldOf({ ...BASE, libraryDir: undefined })).toBe('provisioner.libraryDir');
    expect(fieldOf({ ...BASE, libraryDir: 'relative/dir' })).toBe('libraryDir');
    expect(fieldOf({ ...BASE, domainType: 'xen' })).toBe('provisioner.domainType');
    expect(fieldOf({ ...BASE, network: { kind: 'bridge' } })).toBe('provisioner.network.bridge');
    expect(fieldOf({ ...BASE, network: { kind: 'bridge', bridge: 'br0; reboot' } })).toBe('network.bridge');
    expect(fieldOf({ ...BASE, defaultSize: { cpus: 1, memory: 1024 } })).toBe('provisioner.defaultSize.memory');
  });
});
