import { pathToFileURL } from 'node:url';
import { InvalidInputError, ModuleRegistry, type ModuleFactoryContext, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import { resolve as resolveFrom } from 'import-meta-resolve';
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

/**
 * Where `module:<package>` is loaded from: the working directory's `node_modules` first (a
 * project installs its modules beside its configuration, while the CLI may be installed
 * globally), then the CLI's own dependencies.
 */
export function resolveModule(specifier: string, field: string, cwd: string = process.cwd()): string {
  const parents = [pathToFileURL(`${cwd.replace(/\/+$/, '')}/`).href, import.meta.url];
  for (const parent of parents) {
    try {
      return resolveFrom(specifier, parent);
    } catch {
      // not installed there: try the next place
    }
  }
  throw new InvalidInputError(field, `cannot find package ${specifier} from ${cwd} or from the provkit CLI (install it in the project: npm install ${specifier})`);
}

async function external<T>(config: ModuleConfig, exportName: string, field: string, context: ModuleFactoryContext, cwd: string): Promise<T> {
  const specifier = config.kind.slice('module:'.length);
  const module = (await import(resolveModule(specifier, field, cwd))) as Record<string, unknown>;
  const factory = module[exportName];
  if (typeof factory !== 'function') throw new InvalidInputError(field, `${specifier} does not export ${exportName}(config, context)`);
  return (await factory(config, context)) as T;
}

/** Builds the configured provisioner, waiting for guests through `context.osModule`; `module:` packages are found from `cwd` first. */
export async function createProvisioner(config: ModuleConfig, context: ModuleFactoryContext = {}, cwd: string = process.cwd()): Promise<ProvisionerV1> {
  if (config.kind.startsWith('module:')) return external(config, 'createProvisioner', 'provisioner.kind', context, cwd);
  return cliRegistry.createProvisioner(config.kind, config, context);
}

/** Builds the configured OS module. */
export async function createOsModule(config: ModuleConfig, context: Omit<ModuleFactoryContext, 'osModule'> = {}, cwd: string = process.cwd()): Promise<OsModuleV1> {
  if (config.kind.startsWith('module:')) return external(config, 'createOsModule', 'os.kind', context, cwd);
  return cliRegistry.createOsModule(config.kind, config, context);
}
