import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProvkitError, type NodeSpec } from '@provkit/core';
import { LocalRunner, SshPool, sshRunnerFactory, type RunnerFactory } from '@provkit/runners';
import { ensureLabService, freeLoopbackPort, labRoot, type KvmGuestLabState } from '@provkit/lab';
import { LinuxOsModule } from '@provkit/os-linux';
import { QemuProvisioner, nodeFiles, type QemuProvisionerConfig } from 'provkit-example-provisioner-qemu';

/** The name the lab guest gets in the test library. */
export const GUEST_IMAGE = 'guest-v1';

/** A QEMU host on this machine with a temporary library holding the lab guest, torn down by {@link LabQemu.close}. */
export interface LabQemu {
  guest: KvmGuestLabState;
  /** Provisioner configuration (without an OS module). */
  config: Omit<QemuProvisionerConfig, 'osModule'>;
  /** The accept-new known_hosts file of {@link runnerFor}. */
  knownHostsPath: string;
  /** Reaches a node's guest over SSH as root, with host keys recorded on first sight in a temporary known_hosts. */
  runnerFor: RunnerFactory;
  /** A fresh node name and a loopback port for its SSH forward, free when picked and never handed out twice. */
  newNode: (prefix: string) => Promise<NodeSpec>;
  /** A fresh node whose directory someone else made (a disk of theirs, no provkit marker); its disk holds `theirs`. */
  foreignNode: (prefix: string) => Promise<NodeSpec>;
  close: () => Promise<void>;
}

/**
 * `@provkit/os-linux`'s module, declaring what the lab guest allows: Debian's busybox has no
 * adduser/chpasswd and the guest no nft/iptables, so users and firewall are off (capabilities
 * are data; callers such as the VCL example skip what is off). Waiting, post-load,
 * `currentimage.txt` and generalization are the real module's.
 */
export function labGuestOsModule(runnerFor: RunnerFactory): LinuxOsModule {
  return new LinuxOsModule({ runnerFor, capabilities: { users: false, firewall: false } });
}

/**
 * Brings up the lab guest (`kvm-guest`), makes sure the host has socat (for QMP), and copies
 * the guest into a temporary library. Throws if any of it fails, so the tests fail, not skip.
 */
export async function setUpLabQemu(): Promise<LabQemu> {
  const guest = await ensureLabService<KvmGuestLabState>('kvm-guest');
  // The provisioner's one host requirement beyond QEMU; installed the way lab services install theirs.
  execFileSync('bash', ['-c', 'source "$1/lib.sh" && lab_need_packages socat', 'need', labRoot], { stdio: 'inherit' });
  const dir = await mkdtemp('/tmp/provkit-qemu-example-');
  const libraryDir = join(dir, 'library');
  const nodesDir = join(dir, 'nodes');
  await mkdir(libraryDir);
  await mkdir(nodesDir);
  await copyFile(guest.imagePath, join(libraryDir, `${GUEST_IMAGE}.qcow2`));
  const pool = new SshPool({ connectTimeoutMs: 10_000 });
  // A port is free when picked, but stays free until its node's QEMU binds it: never hand one out twice.
  const given = new Set<number>();
  const host = new LocalRunner();
  const knownHostsPath = join(dir, 'known_hosts');
  const runnerFor = sshRunnerFactory(pool, { username: guest.guestUsername, privateKeyPath: guest.privateKeyPath, hostKey: { kind: 'accept-new', path: knownHostsPath } });
  const newNode = async (prefix: string): Promise<NodeSpec> => {
    let port = await freeLoopbackPort();
    while (given.has(port)) port = await freeLoopbackPort();
    given.add(port);
    return { name: `${prefix}-${Math.random().toString(36).slice(2, 8)}`, address: { host: '127.0.0.1', port } };
  };
  const config = { host, libraryDir, nodesDir, kernelPath: guest.kernelPath, initrdPath: guest.initrdPath, kernelCmdline: guest.kernelCmdline, defaultSize: { cpus: 1, memoryBytes: 192 * 2 ** 20 } };
  return {
    guest,
    config,
    knownHostsPath,
    runnerFor,
    newNode,
    foreignNode: async (prefix) => {
      const node = await newNode(prefix);
      const files = nodeFiles(nodesDir, node.name);
      await host.run(['mkdir', '-p', files.dir]);
      await host.run(['sh', '-c', 'echo theirs >"$1"', 'sh', files.disk]);
      return node;
    },
    close: async () => {
      await pool.close();
      // Whatever a failed test left running: unload every node directory, then drop the temp tree.
      const provisioner = new QemuProvisioner(config);
      const nodes = (await host.run(['ls', '-1', nodesDir], { check: false })).stdout.split('\n').filter(Boolean);
      for (const name of nodes) {
        // A foreign node directory is refused, as it should be; the rm below removes it.
        await provisioner.unload({ node: { name } }).catch((error: unknown) => {
          if (!ProvkitError.hasCode(error, 'NODE_NOT_MANAGED')) throw error;
        });
      }
      await provisioner.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
