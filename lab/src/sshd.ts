/** Connection facts of the lab's sshd (the `sshd` service). */
export interface SshdLabState {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  knownHostsPath: string;
  hostKeyFingerprint: string;
  logPath: string;
  pidPath: string;
}
