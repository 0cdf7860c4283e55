import { InvalidInputError, ModuleRegistry, type ModuleFactoryContext, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import type { ModuleConfig } from './config.ts';

/**
 * The modules the CLI knows, registered by name; each package is loaded only when its kind is
 * configured (so using KVM never loads the vSphere client). Third-party modules:
 * `kind: module:<package>`, whose package exports `createProvisioner(config, context)` /
 * `createOsModule(config, context)` (core's `ProvisionerFactory` / `OsModuleFactory`).
 */
export const cliRegistry = new ModuleRegistry()
  .registerProvisioner('kvm', async (config, context) => (await import('@provkit/provisioner-kvm')).createKvmProvisioner(config, context))
  .registerProvisioner('esx', async (config, context) => (await import('@provkit/provisioner-esx')).createEsxProvisioner(config, context))
  .registerOsModule('linux', async (config, context) => (await import('@provkit/os-linux')).createLinuxOsModule(config, context))
  .registerOsModule('windows', async (config, context) => (await import('@provkit/os-windows')).createWindowsOsModule(config, context));

async function external<T>(config: ModuleConfig, exportName: string, context: ModuleFactoryContext): Promise<T> {
  const specifier = config.kind.slice('module:'.length);
  const module = (await import(specifier)) as Record<string, unknown>;
  const factory = module[exportName];
  if (typeof factory !== 'function') throw new InvalidInputError('kind', `${specifier} does not export ${exportName}(config, context)`);
  return (await factory(config, context)) as T;
}

/** Builds the configured provisioner, waiting for guests through `context.osModule`. */
export async function createProvisioner(config: ModuleConfig, context: ModuleFactoryContext = {}): Promise<ProvisionerV1> {
  if (config.kind.startsWith('module:')) return external(config, 'createProvisioner', context);
  return cliRegistry.createProvisioner(config.kind, config, context);
}

/** Builds the configured OS module. */
export async function createOsModule(config: ModuleConfig, context: Omit<ModuleFactoryContext, 'osModule'> = {}): Promise<OsModuleV1> {
  if (config.kind.startsWith('module:')) return external(config, 'createOsModule', context);
  return cliRegistry.createOsModule(config.kind, config, context);
}
