export { configObject, suggest } from './config-object.ts';
export { booleanSetting, byteQuantity, durationMs, envVarName, creatableFileProblem, fileProblem, hostSetting, localPath, nonEmptyString, portSetting, positiveInteger, readableFile, remotePath } from './config-schemas.ts';
export { secretFromEnv } from './env-secret.ts';
export { parseConfig } from './parse-config.ts';
export type { ModuleFactoryContext, OsModuleFactory, ProvisionerFactory } from './module-factory.ts';
