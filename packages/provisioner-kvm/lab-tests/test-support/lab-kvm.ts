/**
 * Lab wiring shared by the KVM provisioner's lab tests and benchmarks: the lab's libvirtd
 * reached through the lab sshd (as a remote KVM host), a fresh library and node-disk directory
 * per run holding the lab guest image, and @provkit/os-linux's module reaching guests over SSH
 * (users and firewall declared off: the busybox guest has neither useradd nor nft).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeAddress, NodeSpec } from '@provkit/core';
import { SshPool, sshRunnerFactory, type CommandRunner } from '@provkit/runners';
import { freeLoopbackPort, labKvmSettings, prepareKvmRun, type KvmGuestLabState, type LibvirtLabState, type SshdLabState } from '@provkit/lab';
import { KvmProvisioner, type KvmProvisionerOptions } from '../../src/index.ts';
import { LinuxOsModule } from '@provkit/os-linux';

/** Everything a lab test needs; `close()` removes the run's directories and closes connections. */
export interface KvmLab {
  sshd: SshdLabState;
  libvirt: LibvirtLabState;
  guest: KvmGuestLabState;
  hostPool: SshPool;
  guestPool: SshPool;
  host: CommandRunner;
  osModule: LinuxOsModule;
  /** Runs commands in a node's guest over SSH (the OS module's own connections). */
  guestRunner: (node: NodeSpec) => CommandRunner;
  /** Run directory on the host: `library/` and `nodes/` under it. */
  runDir: string;
  libraryDir: string;
  nodeDiskDir: string;
  /** The lab guest's image name in the library. */
  image: string;
  provisioner: (overrides?: Partial<KvmProvisionerOptions>) => KvmProvisioner;
  /** A fresh node name (with the lab's domain prefix) and a free forwarded SSH port. */
  newNode: (label: string) => Promise<NodeSpec & { address: NodeAddress }>;
  close: () => Promise<void>;
}

export async function startKvmLab(): Promise<KvmLab> {
  const kvmRun = await prepareKvmRun('kvm');
  const { sshd, libvirt, guest, libraryDir, nodeDiskDir, runDir, image } = kvmRun;
  const hostPool = new SshPool({ maxChannelsPerConnection: 8 });
  const host = hostPool.runner({ host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, hostKey: { kind: 'known-hosts', path: sshd.knownHostsPath } });
  // Guests: short connect timeout (a booting guest is polled), host keys recorded on first use.
  const guestPool = new SshPool({ connectTimeoutMs: 5000 });
  const scratch = mkdtempSync(join(tmpdir(), 'provkit-kvm-lab-'));
  const knownHosts = join(scratch, 'known_hosts');
  const guestRunner = sshRunnerFactory(guestPool, { username: guest.guestUsername, privateKeyPath: guest.privateKeyPath, hostKey: { kind: 'accept-new', path: knownHosts } });
  const osModule = new LinuxOsModule({ runnerFor: guestRunner, capabilities: { users: false, firewall: false } });
  let counter = 0;
  return {
    sshd,
    libvirt,
    guest,
    hostPool,
    guestPool,
    host,
    osModule,
    guestRunner,
    runDir,
    libraryDir,
    nodeDiskDir,
    image,
    provisioner: (overrides = {}) =>
      new KvmProvisioner({
        runner: host,
        ...labKvmSettings(kvmRun),
        osModule,
        bootTimeoutMs: 120_000,
        shutdownTimeoutMs: 60_000,
        ...overrides,
      }),
    newNode: async (label) => ({ name: `${kvmRun.prefix}-${label}-${++counter}`, address: { host: '127.0.0.1', port: await freeLoopbackPort() } }),
    close: async () => {
      try {
        await kvmRun.remove();
      } finally {
        await guestPool.close();
        await hostPool.close();
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}
