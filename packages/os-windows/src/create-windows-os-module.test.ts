import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, waitFor } from '@provkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createWindowsOsModule } from './create-windows-os-module.ts';

// Key and known_hosts files are checked when the factory runs, so they must exist.
const files = mkdtempSync(join(tmpdir(), 'provkit-factory-'));
const KEY = join(files, 'id');
const KNOWN_HOSTS = join(files, 'known_hosts');
writeFileSync(KEY, '');
writeFileSync(KNOWN_HOSTS, '');
import { loadTranscript, TranscriptServer } from '../test-support/transcript-server.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function fieldOf(body: () => unknown): string | undefined {
  try {
    body();
  } catch (error) {
    return error instanceof InvalidInputError ? error.field : `not InvalidInputError: ${String(error)}`;
  }
  return undefined;
}

describe('createWindowsOsModule', () => {
  it('refuses a configuration without a key, without host-key verification, or naming an unset password variable', () => {
    expect(fieldOf(() => createWindowsOsModule({ kind: 'windows', knownHostsPath: KNOWN_HOSTS } as never))).toBe('os.privateKeyPath');
    expect(fieldOf(() => createWindowsOsModule({ kind: 'windows', privateKeyPath: KEY }))).toBe('os.knownHostsPath');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, administratorPasswordEnv: 'PROVKIT_TEST_SURELY_UNSET' }))).toBe('os.administratorPasswordEnv');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, port: -1 }))).toBe('os.port');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, unattend: { computerName: 'far-too-long-for-netbios' } }))).toBe('unattend.computerName');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, unattend: { runSynchronous: 'format c:' } } as never))).toBe('os.unattend.runSynchronous');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, unattend: { runSynchronous: [{ description: 'no path' }] } } as never))).toBe('os.unattend.runSynchronous.0.path');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, waitTimeoutMs: 'soon' } as never))).toBe('os.waitTimeoutMs');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, administratorPasswordEnv: 'hasOwnProperty' }))).toBe('os.administratorPasswordEnv');
    expect(fieldOf(() => createWindowsOsModule({ privateKeyPath: KEY, knownHostsPath: KNOWN_HOSTS, unatend: {} } as never))).toBe('os.unatend');
  });

  it('builds a module that reaches a guest with a pinned host key and closes its own pool (transcript authored from Microsoft\'s documentation)', async () => {
    const server = new TranscriptServer(loadTranscript(new URL('../test-support/transcripts/wait.json', import.meta.url)));
    const port = await server.start();
    cleanups.push(() => server.close());
    const dir = mkdtempSync(join(tmpdir(), 'provkit-win-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyPath = join(dir, 'id_ed25519');
    writeFileSync(keyPath, server.clientPrivateKey, { mode: 0o600 });
    process.env.PROVKIT_TEST_WINDOWS_ADMIN = 'From-The-Environment-1';
    cleanups.push(() => void delete process.env.PROVKIT_TEST_WINDOWS_ADMIN);

    const module = createWindowsOsModule({
      kind: 'windows',
      username: server.username,
      privateKeyPath: keyPath,
      hostKeyFingerprint: server.hostKeyFingerprint,
      administratorPasswordEnv: 'PROVKIT_TEST_WINDOWS_ADMIN',
      unattend: { timeZone: 'UTC' },
    });
    expect(module.os).toBe('windows');
    expect(module.capabilities).toEqual({ firewall: true, generalize: true, users: true });
    await module.waitForResponse({ node: { name: 'win-cfg', address: { host: '127.0.0.1', port } }, timeoutMs: 10_000 });
    server.assertDone();
    expect(server.openConnections).toBe(1);
    await module.close();
    await waitFor({
      what: 'the module to close its SSH connection',
      timeoutMs: 5000,
      poll: async () => (server.openConnections === 0 ? { done: true, value: undefined } : { done: false, state: `${server.openConnections} open` }),
    });
  });
});
