/**
 * One run against the lab's KVM host: the lab sshd (as the host's SSH), libvirtd and the lab
 * guest, plus a fresh image library and node-disk directory holding the guest image, removed
 * by {@link KvmRun.remove}. Shared by the demo, the CLI's lab tests and anything else that
 * wants "a KVM host with one image" without repeating the wiring.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureLabService } from './services.ts';
import type { SshdLabState } from './sshd.ts';
import type { KvmGuestLabState, LibvirtLabState } from './libvirt.ts';

/** A prepared run; the directories live on this machine, which is the lab's KVM host. */
export interface KvmRun {
  sshd: SshdLabState;
  libvirt: LibvirtLabState;
  guest: KvmGuestLabState;
  /** Prefix of this run's node names (starts with the lab's domain prefix, so `lab down` removes leftovers). */
  prefix: string;
  runDir: string;
  libraryDir: string;
  nodeDiskDir: string;
  /** The guest image's name in the library. */
  image: string;
  /** Removes the run's directories (nodes must be unloaded first). */
  remove(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now (for a node's forwarded SSH). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free loopback port'))));
    });
  });
}

/** Brings up sshd, libvirt and the guest, and lays out a library with the guest image in it. */
export async function prepareKvmRun(label: string): Promise<KvmRun> {
  const sshd = await ensureLabService<SshdLabState>('sshd');
  const libvirt = await ensureLabService<LibvirtLabState>('libvirt');
  const guest = await ensureLabService<KvmGuestLabState>('kvm-guest');
  const prefix = `${libvirt.domainPrefix}${label}-${randomBytes(3).toString('hex')}`;
  const runDir = join(libvirt.imagesDir, `provkit-${prefix}`);
  const libraryDir = join(runDir, 'library');
  const nodeDiskDir = join(runDir, 'nodes');
  await mkdir(libraryDir, { recursive: true });
  await mkdir(nodeDiskDir, { recursive: true });
  await copyFile(guest.imagePath, join(libraryDir, `${guest.imageName}.qcow2`));
  return { sshd, libvirt, guest, prefix, runDir, libraryDir, nodeDiskDir, image: guest.imageName, remove: () => rm(runDir, { recursive: true, force: true }) };
}

/**
 * Writes a provkit configuration file (the CLI's `--config`) for `run`: the KVM provisioner
 * reaching libvirt through the lab sshd with its host key verified, the Linux OS module
 * reaching guests as root with host keys recorded on first sight (loaded nodes make fresh
 * ones), and `nodes` with forwarded SSH ports. Returns the file's path.
 */
export async function writeKvmProvkitConfig(run: KvmRun, dir: string, nodes: Record<string, number>): Promise<string> {
  // The settings every lab run shares, with the size in the configuration file's units.
  const { defaultSize, ...settings } = labKvmSettings(run);
  const config = {
    provisioner: {
      kind: 'kvm',
      host: { host: run.sshd.host, port: run.sshd.port, username: run.sshd.username, privateKeyPath: run.sshd.privateKeyPath, knownHostsPath: run.sshd.knownHostsPath },
      ...settings,
      defaultSize: { cpus: defaultSize.cpus, memory: `${defaultSize.memoryBytes / 2 ** 20} MiB` },
      bootTimeoutMs: 180_000,
      shutdownTimeoutMs: 120_000,
    },
    os: {
      kind: 'linux',
      username: run.guest.guestUsername,
      privateKeyPath: run.guest.privateKeyPath,
      knownHostsPath: join(dir, 'guests_known_hosts'),
      acceptNewHostKeys: true,
    },
    nodes: Object.fromEntries(Object.entries(nodes).map(([name, port]) => [name, { address: { host: '127.0.0.1', port } }])),
  };
  const path = join(dir, 'provkit.yaml');
  // JSON is YAML: no YAML library needed here.
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/**
 * The KVM provisioner settings every lab run shares, in `KvmProvisionerOptions`' shape (the lab
 * does not import the provisioner): the run's directories, the lab libvirtd, user-mode
 * networking with a forwarded SSH port per node, the lab guest's kernel booted directly, and a
 * small machine (the guest is busybox on TCG).
 */
export function labKvmSettings(run: KvmRun): {
  libraryDir: string;
  nodeDiskDir: string;
  uri: string;
  domainType: 'qemu' | 'kvm';
  network: { kind: 'user-forward' };
  directKernelBoot: { kernel: string; initrd: string; cmdline: string };
  defaultSize: { cpus: number; memoryBytes: number };
} {
  return {
    libraryDir: run.libraryDir,
    nodeDiskDir: run.nodeDiskDir,
    uri: run.libvirt.uri,
    domainType: run.libvirt.domainType,
    network: { kind: 'user-forward' },
    directKernelBoot: { kernel: run.guest.kernelPath, initrd: run.guest.initrdPath, cmdline: run.guest.kernelCmdline },
    defaultSize: { cpus: 1, memoryBytes: 192 * 1024 * 1024 },
  };
}
