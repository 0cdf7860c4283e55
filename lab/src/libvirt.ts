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
