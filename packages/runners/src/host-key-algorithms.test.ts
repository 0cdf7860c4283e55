import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostKeyAlgorithms, preferKeyTypes } from './host-key-algorithms.ts';

describe('host key algorithm preference', () => {
  it('puts the algorithms of the known key types first, RSA as its three signature algorithms', () => {
    expect(preferKeyTypes(['ssh-rsa'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);
    expect(preferKeyTypes(['ssh-rsa', 'ecdsa-sha2-nistp384']).slice(0, 4)).toEqual(['ecdsa-sha2-nistp384', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferKeyTypes(['sk-ssh-ed25519@openssh.com'])[0]).toBe('ssh-ed25519');
  });

  it('reads the key types on record for the host from known_hosts, ignoring other hosts and revoked keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provkit-hka-'));
    const file = join(dir, 'known_hosts');
    await writeFile(file, '[node1]:2222 ssh-rsa AAAA\nnode2 ecdsa-sha2-nistp256 AAAA\n@revoked [node1]:2222 ssh-ed25519 AAAA\n');
    expect((await hostKeyAlgorithms({ kind: 'known-hosts', path: file }, 'node1', 2222))?.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect((await hostKeyAlgorithms({ kind: 'accept-new', path: file }, 'node2', 22))?.[0]).toBe('ecdsa-sha2-nistp256');
    // Nothing on record (an accept-new first contact, a missing file) or no file-based policy: ssh2's defaults.
    expect(await hostKeyAlgorithms({ kind: 'accept-new', path: file }, 'node3', 22)).toBeUndefined();
    expect(await hostKeyAlgorithms({ kind: 'known-hosts', path: join(dir, 'missing') }, 'node1', 2222)).toBeUndefined();
    expect(await hostKeyAlgorithms({ kind: 'fingerprint', sha256: 'SHA256:x' }, 'node1', 2222)).toBeUndefined();
  });
});
