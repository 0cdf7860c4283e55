export type { Command, CommandResult, CommandRunner, RunOptions, TransferOptions } from './command-runner.ts';
export { commandText, displayCommand, tail } from './render-command.ts';
export type { HostKeyPolicy, SshTarget } from './ssh-options.ts';
export { LocalRunner, type LocalRunnerOptions } from './local-runner.ts';
export { SshPool, SshRunner, type SshPoolOptions, type SshPoolStats } from './ssh-pool.ts';
export { sshRunnerFactory, type RunnerFactory } from './ssh-runner-factory.ts';
export { CommandEventForwarder } from './command-event-forwarder.ts';
export { fingerprintSha256, forgetHostKey, parseKnownHosts, knownHostsName, type KnownHostsEntry } from './host-keys.ts';
export { waitForSshBanner, type WaitForSshBannerOptions } from './ssh-banner.ts';
