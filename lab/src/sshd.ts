/** Connection facts of the lab's sshd (the `sshd` service). */
export interface SshdLabState {
  host: string;
  port: number;
  /** root: the lab's all-purpose account. */
  username: string;
  /** An unprivileged account in group libvirt whose login shell is plain `/bin/sh` (how a KVM host should be reached). */
  plainUsername: string;
  /** The same, but its login shell (bash reading a `.bashrc` that takes ~150 ms) is slow, as many production profiles are. */
  slowLoginUsername: string;
  privateKeyPath: string;
  knownHostsPath: string;
  hostKeyFingerprint: string;
  logPath: string;
  pidPath: string;
}
