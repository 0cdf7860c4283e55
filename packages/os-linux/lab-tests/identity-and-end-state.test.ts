/**
 * What follows the machine's identity before capture, against the lab's real Debian root:
 * end state `on` keeps the guest reachable over new SSH connections with new host keys,
 * /etc/hosts loses the old names, swap is wiped, and VCL's DHCP/route reset. The root's sshd
 * is OpenSSH 9.2 from Debian 12, which reads its host keys at every new connection.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyMismatchError, type ProgressEvent } from '@provkit/core';
import { SshPool, sshRunnerFactory } from '@provkit/runners';
import { HOST_KEYS_MARKER, LinuxOsModule } from '@provkit/os-linux';
import { exists, fingerprintOf, inGuest, inRoot, read, seed, startDebianRoot, trustCurrentHostKey, type DebianRootFixture } from './test-support/debian-root-fixture.ts';

let lab: DebianRootFixture;
let scratch: string;
const pools: SshPool[] = [];

beforeAll(async () => {
  lab = await startDebianRoot();
  scratch = mkdtempSync(join(tmpdir(), 'provkit-os-linux-identity-'));
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await lab?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A new pool (so a new SSH connection) reaching the root as root under `hostKey`. */
function freshRunnerFactory(hostKey: { kind: 'known-hosts' | 'accept-new'; path: string }) {
  const pool = new SshPool({ commandTimeoutMs: 60_000 });
  pools.push(pool);
  return sshRunnerFactory(pool, { username: lab.state.username, privateKeyPath: lab.state.privateKeyPath, hostKey });
}

describe('end state on keeps the Debian root reachable', () => {
  it('ssh-hostkeys replaces every host key in place: a new SSH connection is served the new key, the module forgets the old one (accept-new) and reconnects', async () => {
    const s = lab.state;
    const before = fingerprintOf(s, '/etc/ssh/ssh_host_ed25519_key.pub');
    const rsaBefore = fingerprintOf(s, '/etc/ssh/ssh_host_rsa_key.pub');
    // The operator's list of the old key, and the module's own accept-new file starting from it.
    const operatorList = join(scratch, 'operator_known_hosts');
    const moduleList = join(scratch, 'module_known_hosts');
    copyFileSync(s.knownHostsPath, operatorList);
    copyFileSync(s.knownHostsPath, moduleList);
    const runnerFor = freshRunnerFactory({ kind: 'accept-new', path: moduleList });
    const module = new LinuxOsModule({ runnerFor });
    const progress: ProgressEvent[] = [];
    module.events.on('progress', (event) => progress.push(event));
    try {
      expect((await runnerFor(lab.node).run(['true'])).exitCode).toBe(0);
      const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['ssh-hostkeys'] });

      const after = fingerprintOf(s, '/etc/ssh/ssh_host_ed25519_key.pub');
      expect(after).not.toBe(before);
      expect(fingerprintOf(s, '/etc/ssh/ssh_host_rsa_key.pub')).not.toBe(rsaBefore);
      expect(exists(s, '/etc/ssh/ssh_host_ed25519_key')).toBe(true);
      expect(exists(s, HOST_KEYS_MARKER)).toBe(true);
      expect(result.report[0]!.changed).toContain(`replaced /etc/ssh/ssh_host_ed25519_key (${after})`);
      expect(progress.find((event) => event.step === 'host-keys-replaced')?.detail).toContain(`replaced /etc/ssh/ssh_host_ed25519_key (${after})`);

      // A brand-new connection under the operator's unchanged list meets the new key.
      const stale = freshRunnerFactory({ kind: 'known-hosts', path: operatorList });
      const error = await stale(lab.node).run(['true']).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HostKeyMismatchError);
      // The module's next command connects anew and trusts the new key on first sight.
      expect((await runnerFor(lab.node).run(['cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout).toBe(read(s, '/etc/ssh/ssh_host_ed25519_key.pub'));
      const recorded = readFileSync(moduleList, 'utf8');
      expect(recorded).toContain(read(s, '/etc/ssh/ssh_host_ed25519_key.pub').split(' ')[1]!);
      expect(recorded.trim().split('\n')).toHaveLength(1);
      // An operator who updates the list connects too, on yet another new connection.
      trustCurrentHostKey(s);
      const updated = freshRunnerFactory({ kind: 'known-hosts', path: s.knownHostsPath });
      expect((await updated(lab.node).run(['hostname'])).stdout.trim()).toBe('debian-root');

      // Idempotent: a second run keeps the interim keys.
      const again = await module.preCapture({ node: lab.node, endState: 'on', operations: ['ssh-hostkeys'] });
      expect(again.operations[0]!.changed).toBe(false);
      expect(fingerprintOf(s, '/etc/ssh/ssh_host_ed25519_key.pub')).toBe(after);

      // The first boot of a clone replaces the interim keys too (the hook, run as the boot runs it).
      await inGuest(s, ['/usr/local/sbin/provkit-first-boot']);
      expect(fingerprintOf(s, '/etc/ssh/ssh_host_ed25519_key.pub')).not.toBe(after);
      expect(exists(s, HOST_KEYS_MARKER)).toBe(false);
    } finally {
      trustCurrentHostKey(s);
      await module.close();
    }
  });
});

describe('identity leftovers on the Debian root', () => {
  it('hostname-file takes the old names out of /etc/hosts; postLoad then writes the new name on 127.0.1.1', async () => {
    const s = lab.state;
    seed(s, '/etc/hostname', 'debian-root.lab.example\n');
    seed(s, '/etc/hosts', '127.0.0.1 localhost\n127.0.1.1\tdebian-root.lab.example debian-root\n10.213.77.2 debian-root\n192.0.2.7 fileserver debian-root # old alias\n::1 localhost ip6-localhost\n');
    const module = lab.module();
    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['hostname-file'] });
    expect(result.report[0]).toEqual({ operation: 'hostname-file', removed: [], emptied: ['/etc/hostname'], changed: ['/etc/hosts (removed debian-root debian-root.lab.example)'] });
    expect(read(s, '/etc/hosts')).toBe('127.0.0.1 localhost\n192.0.2.7 fileserver # old alias\n::1 localhost ip6-localhost\n');
    expect((await module.preCapture({ node: lab.node, endState: 'on', operations: ['hostname-file'] })).operations[0]!.changed).toBe(false);

    await module.postLoad({ node: lab.node, image: 'debian12-base-v1', customization: { hostname: 'clone-7' } });
    expect(read(s, '/etc/hosts')).toBe('127.0.0.1 localhost\n192.0.2.7 fileserver # old alias\n::1 localhost ip6-localhost\n127.0.1.1 clone-7\n');
    expect(read(s, '/etc/hostname')).toBe('clone-7\n');
  });

  it('swap zeroes a swap file listed in /etc/fstab after its header page, keeping UUID and label, and leaves a non-swap file alone (planted, not activated: swapon here would act on this machine\'s kernel)', async () => {
    const s = lab.state;
    const activeSwaps = async () => (await lab.runner.run(['cat', '/proc/swaps'])).stdout.trim().split('\n').slice(1);
    // The root shares this machine's kernel: with an area in use here the test would touch it.
    expect(await activeSwaps()).toEqual([]);
    seed(s, '/swapfile', Buffer.alloc(1 << 20, 0xab), 0o600);
    await inGuest(s, ['mkswap', '-L', 'pkswap', '-U', '0a4d6c1e-5b0f-4c59-9a36-8f0e2d7c1b11', '/swapfile']);
    seed(s, '/not-swap', Buffer.alloc(64 << 10, 0xcd), 0o600);
    seed(s, '/etc/fstab', `${read(s, '/etc/fstab')}/swapfile none swap sw 0 0\n/not-swap none swap sw 0 0\n`);
    const header = readFileSync(inRoot(s, '/swapfile')).subarray(0, 4096);
    expect(readFileSync(inRoot(s, '/swapfile')).subarray(4096).every((byte) => byte === 0xab)).toBe(true);

    const module = lab.module();
    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['swap'] });
    expect(result.report[0]).toEqual({ operation: 'swap', removed: [], emptied: ['/swapfile (swap; header with UUID and label kept)'], changed: [] });
    expect(result.operations[0]!.actions).toContainEqual({ verb: 'note', object: '/not-swap has no swap signature at the end of its first page: left alone' });
    const after = readFileSync(inRoot(s, '/swapfile'));
    expect(after.length).toBe(1 << 20);
    expect(after.subarray(0, 4096).equals(header)).toBe(true);
    expect(after.subarray(4096).every((byte) => byte === 0)).toBe(true);
    expect(execFileSync('blkid', ['-o', 'export', inRoot(s, '/swapfile')]).toString()).toMatch(/LABEL=pkswap\nUUID=0a4d6c1e-5b0f-4c59-9a36-8f0e2d7c1b11\nTYPE=swap/);
    expect(readFileSync(inRoot(s, '/not-swap')).every((byte) => byte === 0xcd)).toBe(true);
    expect(await activeSwaps()).toEqual([]);

    const again = await module.preCapture({ node: lab.node, endState: 'on', operations: ['swap'] });
    expect(again.operations[0]!.changed).toBe(false);
    expect(again.operations[0]!.actions).toContainEqual({ verb: 'kept', object: '/swapfile (swap already zero)' });
  });

  it('network-dhcp turns a static ifcfg back to DHCP and removes static routes (planted as RHEL lays them out; this machine runs a Debian userland)', async () => {
    const s = lab.state;
    seed(s, '/etc/sysconfig/network-scripts/ifcfg-eth0', 'DEVICE=eth0\nBOOTPROTO=static\nIPADDR=192.0.2.10\nNETMASK=255.255.255.0\nGATEWAY=192.0.2.1\nDNS1=192.0.2.53\nONBOOT=yes\n');
    seed(s, '/etc/sysconfig/network-scripts/ifcfg-lo', 'DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\n');
    seed(s, '/etc/sysconfig/network-scripts/route-eth0', '10.9.0.0/16 via 192.0.2.254\n');
    seed(s, '/etc/sysconfig/network-scripts/route6-eth0', '2001:db8:9::/48 via 2001:db8::fe\n');
    seed(s, '/etc/sysconfig/network', 'NETWORKING=yes\nGATEWAY=192.0.2.1\n');
    const module = lab.module();
    const result = await module.preCapture({ node: lab.node, endState: 'on', operations: ['network-dhcp'] });
    expect(result.report[0]).toEqual({
      operation: 'network-dhcp',
      removed: ['/etc/sysconfig/network-scripts/route-eth0', '/etc/sysconfig/network-scripts/route6-eth0'],
      emptied: [],
      changed: ['/etc/sysconfig/network-scripts/ifcfg-eth0 (BOOTPROTO=dhcp)', '/etc/sysconfig/network'],
    });
    expect(read(s, '/etc/sysconfig/network-scripts/ifcfg-eth0')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\nDNS1=192.0.2.53\nONBOOT=yes\n');
    expect(read(s, '/etc/sysconfig/network-scripts/ifcfg-lo')).toBe('DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\n');
    expect(read(s, '/etc/sysconfig/network')).toBe('NETWORKING=yes\n');
    expect((await module.preCapture({ node: lab.node, endState: 'on', operations: ['network-dhcp'] })).operations[0]!.changed).toBe(false);
  });
});
