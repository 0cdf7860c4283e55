import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { createLinuxOsModule } from './create-linux-os-module.ts';

// Key and known_hosts files are checked when the factory runs, so they must exist.
const files = mkdtempSync(join(tmpdir(), 'provkit-factory-'));
const KEY = join(files, 'id');
const KNOWN_HOSTS = join(files, 'known_hosts');
writeFileSync(KEY, '');
writeFileSync(KNOWN_HOSTS, '');

const BASE = { kind: 'linux', privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, acceptNewHostKeys: true };

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
    expect(fieldOf({ kind: 'linux', privateKeyPath: KEY })).toBe('os.knownHostsPath');
    expect(fieldOf({ ...BASE, firewall: 'pf' })).toBe('os.firewall');
    expect(fieldOf({ ...BASE, operations: ['no-such-operation'] })).toMatch(/operations/);
    expect(fieldOf({ ...BASE, rootPasswordEnv: 'PROVKIT_TEST_UNSET_ROOT_PASSWORD' })).toBe('os.rootPasswordEnv');
    expect(fieldOf({ ...BASE, managementAddresses: ['not-an-ip'] })).toMatch(/managementAddresses/);
    expect(fieldOf({ ...BASE, timeouts: { shutdownMs: -1 } })).toBe('os.timeouts.shutdownMs');
    expect(fieldOf({ ...BASE, timeouts: { shutdownMs: 'soon' } })).toBe('os.timeouts.shutdownMs');
    expect(fieldOf({ ...BASE, kind: 'windows' })).toBe('os.kind');
    expect(fieldOf({ ...BASE, rootPasswordEnvv: 'X' })).toBe('os.rootPasswordEnvv');
  });

  it('reads the root password from an own environment variable only: a prototype name is unset', () => {
    for (const name of ['hasOwnProperty', '__proto__', 'constructor']) expect(fieldOf({ ...BASE, rootPasswordEnv: name })).toBe('os.rootPasswordEnv');
  });
});
