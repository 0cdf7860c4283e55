import { InvalidInputError, checkNode, type NodeSpec } from '@provkit/core';
import { checkSshCredentials } from './ssh-target-input.ts';
import type { CommandRunner } from './command-runner.ts';
import type { SshPool } from './ssh-pool.ts';
import type { SshTarget } from './ssh-options.ts';
import { forgetHostKey } from './host-keys.ts';

/**
 * Gives the runner that reaches a node's guest OS. OS modules take one of these. `forget`,
 * when present, drops what was learned about a node's address (its connection, and a host
 * key recorded under accept-new) because the machine there is about to be replaced.
 */
export type RunnerFactory = ((node: NodeSpec) => CommandRunner) & { forget?: (node: NodeSpec) => Promise<void> };

/**
 * A {@link RunnerFactory} that reaches each node over SSH at `node.address`, with shared
 * credentials and host-key policy, on connections from `pool`. Its `forget(node)` closes the
 * node's pooled connection and, under the `accept-new` policy, removes the address's entry
 * from the known_hosts file, so a node reloaded at the same address with fresh host keys is
 * trusted on first sight again. Under `known-hosts` and `fingerprint` nothing is forgotten:
 * the operator's list stays the authority.
 */
export function sshRunnerFactory(pool: SshPool, credentials: Omit<SshTarget, 'host' | 'port'> & { port?: number }): RunnerFactory {
  // Refused now, as a typed error, not when the first node's host key is checked.
  checkSshCredentials('credentials', credentials);
  const targetOf = (node: NodeSpec): SshTarget => {
    checkNode('node', node);
    if (!node.address) throw new InvalidInputError('node.address', `node ${node.name} has no address to reach over SSH`);
    return { ...credentials, host: node.address.host, port: node.address.port ?? credentials.port ?? 22 };
  };
  const factory: RunnerFactory = (node) => pool.runner(targetOf(node));
  factory.forget = async (node) => {
    const target = targetOf(node);
    pool.drop(target);
    if (target.hostKey.kind === 'accept-new') await forgetHostKey(target.hostKey.path, target.host, target.port!);
  };
  return factory;
}
