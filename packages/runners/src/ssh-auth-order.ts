import type { SshTarget } from './ssh-options.ts';

/** An SSH user authentication method provkit's client may try. */
export type SshAuthMethod = 'publickey' | 'agent' | 'password' | 'none';

/**
 * The methods a login tries, in order: the target's private key, then its agent, then its
 * password (OpenSSH's preference: a key before a password), each only when the target has it.
 * No `none` request goes first, as ssh2's default would send to learn the server's methods:
 * that is a round trip through the server's privileged monitor per login, about 60 ms on the
 * lab's TCG guest, paid at every boot detection. A target with no credential at all tries
 * `none` (a server that lets anyone in).
 */
export function sshAuthOrder(target: Pick<SshTarget, 'privateKey' | 'privateKeyPath' | 'agent' | 'password'>): SshAuthMethod[] {
  const methods: SshAuthMethod[] = [];
  if (target.privateKey !== undefined || target.privateKeyPath !== undefined) methods.push('publickey');
  if (target.agent) methods.push('agent');
  if (target.password) methods.push('password');
  return methods.length > 0 ? methods : ['none'];
}
