import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { createLinuxOsModule } from './create-linux-os-module.ts';

const BASE = { kind: 'linux', privateKeyPath: '/etc/provkit/id', knownHostsPath: '/var/lib/provkit/guests_known_hosts', acceptNewHostKeys: true };

function fieldOf(config: Record<string, unknown>, env?: Record<string, string>): string {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    createLinuxOsModule(config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.field;
    throw error;
  } finally {
    process.env = saved;
  }
  throw new Error('expected a refusal');
}

describe('createLinuxOsModule', () => {
  it('builds a module from a configuration section', async () => {
    const module = createLinuxOsModule({ ...BASE, operations: ['machine-id', 'logfiles'], firewall: 'nftables', timeouts: { shutdownMs: 60_000 } });
    expect(module.os).toBe('linux');
    await module.close();
  });

  it('refuses a bad section naming the field, before connecting to anything', () => {
    expect(fieldOf({ kind: 'linux', privateKeyPath: '/id' })).toBe('os.knownHostsPath');
    expect(fieldOf({ ...BASE, firewall: 'pf' })).toBe('os.firewall');
    expect(fieldOf({ ...BASE, operations: ['no-such-operation'] })).toMatch(/operations/);
    expect(fieldOf({ ...BASE, rootPasswordEnv: 'PROVKIT_TEST_UNSET_ROOT_PASSWORD' })).toBe('os.rootPasswordEnv');
    expect(fieldOf({ ...BASE, managementAddresses: ['not-an-ip'] })).toMatch(/managementAddresses/);
    expect(fieldOf({ ...BASE, timeouts: { shutdownMs: -1 } })).toBe('os.timeouts.shutdownMs');
  });
});
