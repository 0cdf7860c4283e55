import type { OsModuleV1, ProvisionerV1 } from '../contracts/index.ts';
import type { ProvkitEmitter } from '../events/index.ts';

/**
 * What an application hands a module factory besides the module's own configuration
 * section: the OS module a provisioner waits for guests through, and where events go.
 */
export interface ModuleFactoryContext {
  /** The OS module a provisioner uses when an operation names none. */
  osModule?: OsModuleV1 | undefined;
  /** Where the module's progress, command and warning events go. */
  events?: ProvkitEmitter | undefined;
}

/**
 * The factory a provisioner package exports (`createProvisioner` for third parties), so the
 * `provkit` CLI and orchestrators can build it from a configuration file. The configuration
 * is the parsed section (`provisioner:`) with its `kind`; a factory validates it and throws
 * `InvalidInputError` naming the field before connecting to anything.
 */
export type ProvisionerFactory = (config: Record<string, unknown>, context?: ModuleFactoryContext) => ProvisionerV1 | Promise<ProvisionerV1>;

/** The factory an OS-module package exports (`createOsModule` for third parties); see {@link ProvisionerFactory}. */
export type OsModuleFactory = (config: Record<string, unknown>, context?: Omit<ModuleFactoryContext, 'osModule'>) => OsModuleV1 | Promise<OsModuleV1>;
