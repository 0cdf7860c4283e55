/**
 * `@provkit/core`: the contracts every provkit module implements (`ProvisionerV1`,
 * `OsModuleV1`), typed errors, events, bounded waits, command runners (local and SSH),
 * shell quoting, XML escaping, secrets, validators and the plugin registry.
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
export * from './runners/index.ts';
export * from './concurrency/index.ts';
export * from './registry/index.ts';
export * from './config/index.ts';
export * from './model/index.ts';
export * from './workflow/index.ts';
