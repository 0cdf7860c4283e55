export { ConfigSection } from './config-section.ts';
export { hostKeyPolicyFromConfig, sshCredentialsFromConfig, sshTargetFromConfig, type SshCredentials } from './ssh-config.ts';
export type { ModuleFactoryContext, OsModuleFactory, ProvisionerFactory } from './module-factory.ts';
