import { InvalidInputError } from '../errors/index.ts';
import type { NodeSpec } from '../contracts/index.ts';
import type { CommandRunner } from './command-runner.ts';
import type { SshPool } from './ssh-pool.ts';
import type { SshTarget } from './ssh-options.ts';

/** Gives the runner that reaches a node's guest OS. OS modules take one of these. */
export type RunnerFactory = (node: NodeSpec) => CommandRunner;

/**
 * A {@link RunnerFactory} that reaches each node over SSH at `node.address`, with shared
 * credentials and host-key policy, on connections from `pool`.
 */
export function sshRunnerFactory(pool: SshPool, credentials: Omit<SshTarget, 'host' | 'port'> & { port?: number }): RunnerFactory {
  return (node) => {
    if (!node.address) throw new InvalidInputError('node.address', `node ${node.name} has no address to reach over SSH`);
    return pool.runner({ ...credentials, host: node.address.host, port: node.address.port ?? credentials.port ?? 22 });
  };
}
