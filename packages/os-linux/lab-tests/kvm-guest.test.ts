/**
 * LinuxOsModule on a real booted guest: the lab's busybox Linux guest under libvirt/QEMU (TCG),
 * loaded and captured by KvmProvisioner. The whole default generalization runs on busybox's
 * shell and tools; a captured image boots again with fresh SSH host keys and a fresh
 * machine-id made by provkit's first-boot hook; end state `reboot` comes back from a new boot.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, type NodeSpec } from '@provkit/core';
import { forgetHostKey, SshPool, sshRunnerFactory, type CommandRunner, type RunnerFactory } from '@provkit/runners';
import { freeLoopbackPort, labKvmSettings, prepareKvmRun, type KvmGuestLabState } from '@provkit/lab';
import { LinuxOsModule, LINUX_OPERATION_NAMES } from '@provkit/os-linux';
import { KvmProvisioner } from '@provkit/provisioner-kvm';

let guest: KvmGuestLabState;
let hostPool: SshPool;
let guestPool: SshPool;
let host: CommandRunner;
let runnerFor: RunnerFactory;
let knownHosts: string;
let removeRun: (() => Promise<void>) | undefined;
let run: string;
let kvm: KvmProvisioner;
let module: LinuxOsModule;
const nodes: NodeSpec[] = [];

async function newNode(label: string): Promise<NodeSpec> {
  const node = { name: `${run}-${label}`, address: { host: '127.0.0.1', port: await freeLoopbackPort() } };
  nodes.push(node);
  return node;
}

/** Facts that make a machine this machine. */
async function identity(node: NodeSpec): Promise<{ hostKey: string; machineId: string; bootId: string }> {
  const out = (await runnerFor(node).run(sh`ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2; cat /etc/machine-id; cat /proc/sys/kernel/random/boot_id`)).stdout.trim().split('\n');
  return { hostKey: out[0]!, machineId: out[1]!, bootId: out[2]! };
}

beforeAll(async () => {
  const kvmRun = await prepareKvmRun('oslinux');
  const { sshd } = kvmRun;
  guest = kvmRun.guest;
  removeRun = kvmRun.remove;
  run = kvmRun.prefix;
  hostPool = new SshPool();
  host = hostPool.runner({ host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, hostKey: { kind: 'known-hosts', path: sshd.knownHostsPath } });
  guestPool = new SshPool({ connectTimeoutMs: 5000 });
  knownHosts = join(mkdtempSync(join(tmpdir(), 'provkit-os-linux-kvm-')), 'known_hosts');
  runnerFor = sshRunnerFactory(guestPool, { username: guest.guestUsername, privateKeyPath: guest.privateKeyPath, hostKey: { kind: 'accept-new', path: knownHosts } });
  module = new LinuxOsModule({ runnerFor });
  kvm = new KvmProvisioner({
    runner: host,
    ...labKvmSettings(kvmRun),
    osModule: module,
    bootTimeoutMs: 180_000,
    shutdownTimeoutMs: 120_000,
  });
});

afterAll(async () => {
  for (const node of nodes) await kvm?.unload({ node }).catch(() => undefined);
  await removeRun?.().catch(() => undefined);
  await kvm?.close();
  await module?.close();
  await guestPool?.close();
  await hostPool?.close();
});

describe('LinuxOsModule on the KVM lab guest (busybox, booted under QEMU)', () => {
  it('captures with the whole default set (end state off) and the image boots with fresh host keys and machine-id', async () => {
    const first = await newNode('src');
    await kvm.load({ node: first, image: guest.imageName, customization: { hostname: 'src-node' } });
    const before = await identity(first);
    expect(before.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect((await module.readCurrentImage({ node: first }))?.postLoadDone).toBe(true);

    const image = `${run}-gen-v2`;
    const progress: string[] = [];
    module.events.on('progress', (event) => event.operation === 'preCapture' && progress.push(event.detail ?? event.step));
    await kvm.capture({ node: first, image });
    expect(progress.filter((line) => /^[a-z-]+: /.test(line)).map((line) => line.split(':')[0])).toEqual(LINUX_OPERATION_NAMES.filter((name) => name !== 'root-password' && name !== 'user-backup-files'));
    expect(progress.find((line) => line.startsWith('ssh-hostkeys: '))).toMatch(/removed \d+ .*\/etc\/ssh\/ssh_host_ed25519_key.*installed \/usr\/local\/sbin\/provkit-first-boot.*changed \/etc\/inittab \(busybox sysinit entry\)/);
    expect(progress.find((line) => line.startsWith('machine-id: '))).toBe('machine-id: truncated /etc/machine-id');
    expect(progress.find((line) => line.startsWith('post-load-record: '))).toBe('post-load-record: changed /root/currentimage.txt (vcld_post_load removed)');
    expect(await kvm.powerStatus({ node: first })).toBe('off');

    const second = await newNode('copy');
    await kvm.load({ node: second, image });
    const after = await identity(second);
    expect(after.hostKey).not.toBe(before.hostKey);
    expect(after.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(after.machineId).not.toBe(before.machineId);
    const boot = (await runnerFor(second).run(sh`cat /var/log/provkit-first-boot.log; grep provkit /etc/inittab`)).stdout;
    expect(boot).toMatch(/generated ssh host keys\n.*generated machine-id\n::sysinit:\/usr\/local\/sbin\/provkit-first-boot\n$/);
    expect(await module.readCurrentImage({ node: second })).toMatchObject({ image, postLoadDone: true });
  });

  it('preCapture with end state reboot comes back from a new boot with new host keys', async () => {
    const node = nodes.find((candidate) => candidate.name.endsWith('-copy'))!;
    const before = await identity(node);
    const result = await module.preCapture({ node, endState: 'reboot', operations: ['machine-id', 'ssh-hostkeys', 'tmp-files'] });
    expect(result.endState).toBe('reboot');
    expect(result.operations.map((report) => [report.name, report.changed])).toEqual([['ssh-hostkeys', true], ['machine-id', true], ['tmp-files', false]]);
    // The new boot answered with new host keys; a caller that trusts them forgets the old one.
    await forgetHostKey(knownHosts, node.address!.host, node.address!.port!);
    const after = await identity(node);
    expect(after.bootId).not.toBe(before.bootId);
    expect(after.hostKey).not.toBe(before.hostKey);
    expect(after.machineId).not.toBe(before.machineId);
  });

  it('reboot waits for a new boot, and shutdown until SSH stops answering', async () => {
    const node = nodes.find((candidate) => candidate.name.endsWith('-copy'))!;
    const before = await identity(node);
    await module.reboot({ node, timeoutMs: 180_000 });
    const after = await identity(node);
    expect(after.bootId).not.toBe(before.bootId);
    expect(after.hostKey).toBe(before.hostKey);
    await module.shutdown({ node, timeoutMs: 120_000 });
    const error = await runnerFor(node).run(['true'], { timeoutMs: 5000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
  });
});
