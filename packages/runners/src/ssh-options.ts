import type { Secret } from '@provkit/core';

/**
 * How the SSH runner checks the server's host key. Verification is on by default; the only
 * way to turn it off is the loudly named `insecure-accept-any`.
 */
export type HostKeyPolicy =
  /** Accept only keys listed for this host in an OpenSSH known_hosts file (hashed entries work). */
  | { kind: 'known-hosts'; path: string }
  /** Accept only keys whose SHA256 fingerprint (`SHA256:base64`, as `ssh-keygen -l` prints) is listed. */
  | { kind: 'fingerprint'; sha256: string | readonly string[] }
  /**
   * OpenSSH's `StrictHostKeyChecking=accept-new`: trust and record a host seen for the first
   * time in `path`, refuse a changed key. Suits nodes whose keys are regenerated at load when
   * the provisioner calls `forgetHostKey` on reload.
   */
  | { kind: 'accept-new'; path: string }
  /** Accepts any key: exposed to man-in-the-middle. For throwaway labs only. */
  | { kind: 'insecure-accept-any' };

/** One SSH destination and its credentials. */
export interface SshTarget {
  host: string;
  port?: number;
  username: string;
  /** A private key (PEM/OpenSSH text). */
  privateKey?: string | Buffer | Secret;
  /** Path of a private key file, read when connecting. */
  privateKeyPath?: string;
  passphrase?: Secret;
  password?: Secret;
  /** ssh-agent socket (default none). */
  agent?: string;
  hostKey: HostKeyPolicy;
  /**
   * The login shell's family. `posix` (default) lets the runner learn each command's process
   * group so a timeout or abort kills the whole remote command tree; use `other` for hosts whose
   * login shell is not POSIX (Windows OpenSSH runs `cmd.exe`), where the runner sends the SSH
   * `signal` request and closes the channel instead.
   */
  remoteShell?: 'posix' | 'other';
}
