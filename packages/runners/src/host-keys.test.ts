import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyHostKey, fingerprintSha256, forgetHostKey, hostFieldMatches, parseKnownHosts } from './host-keys.ts';

async function keyPair(dir: string, name: string): Promise<{ blob: Buffer; line: string; fingerprint: string }> {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
  const line = (await readFile(`${path}.pub`, 'utf8')).trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]).toString().split(' ')[1]!;
  return { blob: Buffer.from(line.split(' ')[1]!, 'base64'), line, fingerprint };
}

describe('host keys', () => {
  it('computes the same SHA256 fingerprint as ssh-keygen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provkit-hk-'));
    const key = await keyPair(dir, 'k');
    expect(fingerprintSha256(key.blob)).toBe(key.fingerprint);
  });

  it('matches plain, bracketed-port, wildcard, negated and ssh-keygen-hashed host fields', async () => {
    expect(hostFieldMatches('10.0.0.5', '10.0.0.5', 22)).toBe(true);
    expect(hostFieldMatches('10.0.0.5', '10.0.0.5', 2222)).toBe(false);
    expect(hostFieldMatches('[10.0.0.5]:2222', '10.0.0.5', 2222)).toBe(true);
    expect(hostFieldMatches('*.lab,!bad.lab', 'web.lab', 22)).toBe(true);
    expect(hostFieldMatches('*.lab,!bad.lab', 'bad.lab', 22)).toBe(false);
    const dir = await mkdtemp(join(tmpdir(), 'provkit-hk-'));
    const key = await keyPair(dir, 'k');
    const file = join(dir, 'known_hosts');
    await writeFile(file, `[web.lab]:2200 ${key.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    const [entry] = parseKnownHosts(await readFile(file, 'utf8'));
    expect(entry?.hosts.startsWith('|1|')).toBe(true);
    expect(hostFieldMatches(entry!.hosts, 'web.lab', 2200)).toBe(true);
    expect(hostFieldMatches(entry!.hosts, 'web.lab', 22)).toBe(false);
  });

  it('accepts listed keys, refuses changed and revoked ones, and forgets a host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provkit-hk-'));
    const good = await keyPair(dir, 'good');
    const other = await keyPair(dir, 'other');
    const file = join(dir, 'known_hosts');
    await writeFile(file, `# comment\nnode1 ${good.line}\n@revoked node2 ${other.line}\nnode2 ${other.line}\n`);
    expect(await verifyHostKey({ kind: 'known-hosts', path: file }, 'node1', 22, good.blob)).toEqual({ accepted: true });
    expect(await verifyHostKey({ kind: 'known-hosts', path: file }, 'node1', 22, other.blob)).toEqual({ accepted: false, expected: good.fingerprint });
    expect((await verifyHostKey({ kind: 'known-hosts', path: file }, 'node2', 22, other.blob)).accepted).toBe(false);
    expect((await verifyHostKey({ kind: 'fingerprint', sha256: good.fingerprint.slice(7) }, 'x', 22, good.blob)).accepted).toBe(true);
    await forgetHostKey(file, 'node1', 22);
    expect(await verifyHostKey({ kind: 'accept-new', path: file }, 'node1', 22, other.blob)).toEqual({ accepted: true });
    expect(await readFile(file, 'utf8')).toContain(`node1 ssh-ed25519 ${other.blob.toString('base64')}`);
  });
});
