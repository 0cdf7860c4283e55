import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, InvalidInputError } from '@provkit/core';
import { LocalRunner } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { createKvmProvisioner } from './create-kvm-provisioner.ts';

// Key and known_hosts files are checked when the factory runs, so they must exist.
const files = mkdtempSync(join(tmpdir(), 'provkit-factory-'));
const KEY = join(files, 'id');
const KNOWN_HOSTS = join(files, 'known_hosts');
writeFileSync(KEY, '');
writeFileSync(KNOWN_HOSTS, '');

const HOST = { host: 'kvm1.example.org', username: 'provkit', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS };
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

function message(config: Record<string, unknown>): string {
  try {
    createKvmProvisioner(config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
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
    expect(fieldOf({ ...BASE, libraryDir: 'relative/dir' })).toBe('provisioner.libraryDir');
    expect(fieldOf({ ...BASE, domainType: 'xen' })).toBe('provisioner.domainType');
    expect(fieldOf({ ...BASE, network: { kind: 'bridge' } })).toBe('provisioner.network.bridge');
    expect(fieldOf({ ...BASE, network: { kind: 'bridge', bridge: 'br0; reboot' } })).toBe('network.bridge');
    expect(fieldOf({ ...BASE, network: { kind: 'wifi' } })).toBe('provisioner.network.kind');
    expect(fieldOf({ ...BASE, defaultSize: { cpus: 1, memory: 1024 } })).toBe('provisioner.defaultSize.memory');
  });

  it('refuses typos, strangers and another module\'s kind, by full path and in one format', () => {
    expect(message({ ...BASE, libaryDir: '/srv' })).toBe('Invalid provisioner.libaryDir: unknown setting; did you mean libraryDir?');
    expect(fieldOf({ ...BASE, fooBar: 1 })).toBe('provisioner.fooBar');
    expect(message({ ...BASE, kind: 'esx' })).toBe('Invalid provisioner.kind: must be kvm in a KVM provisioner section');
    expect(fieldOf({ ...BASE, host: { ...HOST, connectTimeoutMs: 'soon' } })).toBe('provisioner.host.connectTimeoutMs');
    expect(fieldOf({ ...BASE, host: { ...HOST, hots: 'x' } })).toBe('provisioner.host.hots');
    expect(fieldOf({ ...BASE, bootTimeoutMs: 'soon' })).toBe('provisioner.bootTimeoutMs');
    expect(fieldOf({ ...BASE, nodeDiskDir: '/var/lib/provkit/images/' })).toBe('provisioner.nodeDiskDir');
  });

  it('checks the key and known_hosts files when it is made, not at first use', () => {
    expect(message({ ...BASE, host: { ...HOST, privateKeyPath: join(files, 'missing') } })).toBe(`Invalid provisioner.host.privateKeyPath: ${join(files, 'missing')} does not exist`);
    expect(message({ ...BASE, host: { ...HOST, knownHostsPath: join(files, 'missing') } })).toBe(`Invalid provisioner.host.knownHostsPath: ${join(files, 'missing')} does not exist`);
  });

  it('bounds the connect by host.connectTimeoutMs: a host that never sends a banner fails the first command', async () => {
    const server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    process.env.PROVKIT_TEST_KVM_PASSWORD = 'unused';
    const provisioner = createKvmProvisioner({ ...BASE, host: { host: '127.0.0.1', port, username: 'provkit', passwordEnv: 'PROVKIT_TEST_KVM_PASSWORD', knownHostsPath: KNOWN_HOSTS, connectTimeoutMs: 300 } });
    delete process.env.PROVKIT_TEST_KVM_PASSWORD;
    try {
      const error = await provisioner.listImages().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toContain('Timed out while waiting for handshake');
    } finally {
      await provisioner.close();
      server.close();
    }
  });
});
