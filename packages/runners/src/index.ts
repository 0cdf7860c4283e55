/**
 * `@provkit/runners`: the command runners every provkit module runs commands through —
 * `LocalRunner` (local processes) and `SshPool` / `SshRunner` (one verified SSH connection per
 * host, commands as channels) — with known-hosts handling, the SSH-banner wait and the SSH
 * settings of a configuration file.
 *
 * @packageDocumentation
 */
export type { Command, CommandResult, CommandRunner, RunOptions, TransferOptions } from './command-runner.ts';
export { commandText, displayCommand, tail } from './render-command.ts';
export type { HostKeyPolicy, SshTarget } from './ssh-options.ts';
export { LocalRunner, type LocalRunnerOptions } from './local-runner.ts';
export { SshPool, SshRunner, type SshPoolOptions, type SshPoolStats } from './ssh-pool.ts';
export { sshRunnerFactory, type RunnerFactory } from './ssh-runner-factory.ts';
export { CommandEventForwarder } from './command-event-forwarder.ts';
export { canCopyBetween, copyBetween, type RunnerFile } from './copy-between.ts';
export { fingerprintSha256, forgetHostKey, parseKnownHosts, knownHostsName, type KnownHostsEntry } from './host-keys.ts';
export { checkHostKeyPolicy, checkSshCredentials, checkSshTarget } from './ssh-target-input.ts';
export { waitForSshBanner, waitForSshGreeting, type SshGreeting, type WaitForSshBannerOptions } from './ssh-banner.ts';
export {
  refineSshCredentials,
  DEFAULT_CONNECT_TIMEOUT_MS,
  hostKeyPolicyFromConfig,
  sshCredentialsFromConfig,
  sshCredentialsShape,
  sshTargetFromConfig,
  sshTargetShape,
  type SshConfigContext,
  type SshCredentials,
  type SshCredentialsSettings,
} from './ssh-config.ts';
