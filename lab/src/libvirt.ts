import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDir, labRoot } from './paths.ts';

/** State of the lab's `libvirt` service: libvirtd with the QEMU driver on this machine. */
export interface LibvirtLabState {
  /** libvirt connection URI on the host, `qemu:///system`. */
  uri: string;
  /** Domain type the lab's guests must use: `qemu` (TCG), since /dev/kvm hangs guests here. */
  domainType: 'qemu' | 'kvm';
  /** Prefix of the domains lab tests define; the service's `down` removes leftovers with it. */
  domainPrefix: string;
  /** libvirt's default image directory on the host. */
  imagesDir: string;
  libvirtVersion: string;
  /** `yes` when the lab started libvirtd (and `down` stops it); `no` when a running one was reused. */
  startedByLab: 'yes' | 'no';
  /** `yes` when members of group libvirt (the sshd's plain account) can manage domains; absent in a state written before it was recorded. */
  libvirtGroupAccess?: 'yes' | 'no';
}

/** State of the lab's `kvm-guest` service: a small real Linux guest built from Debian packages. */
export interface KvmGuestLabState {
  /** Name to give the image in a library, `<name>-v<revision>`; also in its `/root/currentimage.txt`. */
  imageName: string;
  /** The qcow2 root disk (copy it into a library; never boot it directly). */
  imagePath: string;
  /** Debian's kernel and the lab's initramfs, for direct kernel boot. */
  kernelPath: string;
  initrdPath: string;
  kernelCmdline: string;
  kernelRelease: string;
  virtualBytes: number;
  recipeHash: string;
  /** The guest's SSH user and the key it accepts (the lab sshd's client key). */
  guestUsername: string;
  privateKeyPath: string;
}

/** Options of {@link restartLabLibvirtd}. */
export interface RestartLabLibvirtdOptions {
  /** How long libvirtd stays down before it is started again, in whole seconds (default 0). */
  downSeconds?: number;
}

/**
 * Restarts the lab's libvirtd (SIGTERM, bounded, then SIGKILL; down for `downSeconds`, then
 * started again) and resolves once it answers again. Running guests survive: libvirtd
 * reattaches to their QEMU processes. Other lab tests share this daemon, so call it only while
 * holding the lab lock.
 */
export async function restartLabLibvirtd(options: RestartLabLibvirtdOptions = {}): Promise<LibvirtLabState> {
  const lock = join(labDir, '.libvirt.lock');
  const downSeconds = options.downSeconds ?? 0;
  if (!Number.isInteger(downSeconds) || downSeconds < 0) throw new Error(`downSeconds must be a non-negative integer, not ${downSeconds}`);
  const args = ['-o', '-w', '600', lock, 'bash', join(labRoot, 'services', 'libvirt.sh'), 'restart', String(downSeconds)];
  const { stdout } = await promisify(execFile)('flock', args, { env: { ...process.env, PROVKIT_LAB_DIR: labDir }, timeout: 120_000 }).catch(
    (error: { stderr?: string; message: string }) => {
      throw new Error(`lab service libvirt restart failed: ${error.stderr?.trim().split('\n').slice(-5).join('\n') || error.message}`);
    },
  );
  return JSON.parse(stdout) as LibvirtLabState;
}
