/**
 * `@provkit/core`: the contracts every provkit module implements (`ProvisionerV1`,
 * `OsModuleV1`), typed errors, events, bounded waits, shell quoting, XML escaping, secrets,
 * validators, configuration schemas and the plugin registry. It needs neither ssh2 nor yaml:
 * the command runners are in `@provkit/runners`, stoney cloud's model and workflow in
 * `@provkit/lean-provisioning`.
 *
 * @packageDocumentation
 */
export * from './errors/index.ts';
export * from './secret/index.ts';
export * from './shell/index.ts';
export * from './xml/index.ts';
export * from './validate/index.ts';
export * from './events/index.ts';
export * from './wait/index.ts';
export * from './contracts/index.ts';
export * from './concurrency/index.ts';
export * from './registry/index.ts';
export * from './config/index.ts';
