export { configObject, suggest } from './config-object.ts';
export { booleanSetting, byteQuantity, durationMs, envVarName, fileProblem, hostSetting, localPath, nonEmptyString, portSetting, positiveInteger, readableFile, remotePath } from './config-schemas.ts';
export { secretFromEnv } from './env-secret.ts';
export { parseConfig } from './parse-config.ts';
export {
  checkSshCredentials,
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
export type { ModuleFactoryContext, OsModuleFactory, ProvisionerFactory } from './module-factory.ts';
