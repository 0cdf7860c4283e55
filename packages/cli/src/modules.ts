import { InvalidInputError, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import type { ModuleConfig } from './config.ts';

type Loader<T> = (config: ModuleConfig) => Promise<T>;

/**
 * The modules the CLI knows, each loaded only when configured (so using KVM never loads the
 * vSphere client). Third-party modules: `kind: module:<package>`, whose package exports
 * `createProvisioner(config)` / `createOsModule(config)`.
 */
const provisioners: Record<string, Loader<ProvisionerV1>> = {
  kvm: async (config) => (await import('@provkit/provisioner-kvm')).createKvmProvisioner(config),
  esx: async (config) => (await import('@provkit/provisioner-esx')).createEsxProvisioner(config),
};

const osModules: Record<string, Loader<OsModuleV1>> = {
  linux: async (config) => (await import('@provkit/os-linux')).createLinuxOsModule(config),
  windows: async (config) => (await import('@provkit/os-windows')).createWindowsOsModule(config),
};

async function external<T>(config: ModuleConfig, exportName: string): Promise<T> {
  const specifier = config.kind.slice('module:'.length);
  const module = (await import(specifier)) as Record<string, unknown>;
  const factory = module[exportName];
  if (typeof factory !== 'function') throw new InvalidInputError('kind', `${specifier} does not export ${exportName}(config)`);
  return (await factory(config)) as T;
}

/** Builds the configured provisioner. */
export function createProvisioner(config: ModuleConfig): Promise<ProvisionerV1> {
  if (config.kind.startsWith('module:')) return external(config, 'createProvisioner');
  const loader = provisioners[config.kind];
  if (!loader) throw new InvalidInputError('provisioner.kind', `${config.kind} is not one of ${Object.keys(provisioners).join(', ')} or module:<package>`);
  return loader(config);
}

/** Builds the configured OS module. */
export function createOsModule(config: ModuleConfig): Promise<OsModuleV1> {
  if (config.kind.startsWith('module:')) return external(config, 'createOsModule');
  const loader = osModules[config.kind];
  if (!loader) throw new InvalidInputError('os.kind', `${config.kind} is not one of ${Object.keys(osModules).join(', ')} or module:<package>`);
  return loader(config);
}
