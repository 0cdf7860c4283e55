import { InvalidInputError, UnsupportedSpecificationError } from '../errors/index.ts';
import type { OsModuleV1, ProvisionerV1 } from '../contracts/index.ts';
import type { ModuleFactoryContext, OsModuleFactory, ProvisionerFactory } from '../config/index.ts';

/**
 * Where provisioner and OS-module packages are registered by name, so an orchestrator can
 * pick one from configuration (`{ provisioner: 'kvm', os: 'linux' }`). Modules of unknown
 * contract versions are refused with `UnsupportedSpecificationError` when created.
 */
export class ModuleRegistry {
  readonly #provisioners = new Map<string, ProvisionerFactory>();
  readonly #osModules = new Map<string, OsModuleFactory>();

  /** Registers a provisioner factory; a name can be registered once. */
  registerProvisioner(name: string, factory: ProvisionerFactory): this {
    register(this.#provisioners, 'provisioner', name, factory);
    return this;
  }

  /** Registers an OS-module factory; a name can be registered once. */
  registerOsModule(name: string, factory: OsModuleFactory): this {
    register(this.#osModules, 'OS module', name, factory);
    return this;
  }

  /** Creates the provisioner registered as `name` from its configuration section. */
  async createProvisioner(name: string, config: Record<string, unknown> = {}, context: ModuleFactoryContext = {}): Promise<ProvisionerV1> {
    const module = await lookup(this.#provisioners, 'provisioner', name)(config, context);
    return checkVersion(module, 'provisioner');
  }

  /** Creates the OS module registered as `name` from its configuration section. */
  async createOsModule(name: string, config: Record<string, unknown> = {}, context: Omit<ModuleFactoryContext, 'osModule'> = {}): Promise<OsModuleV1> {
    const module = await lookup(this.#osModules, 'OS module', name)(config, context);
    return checkVersion(module, 'OS module');
  }

  /** Registered provisioner names. */
  get provisioners(): string[] {
    return [...this.#provisioners.keys()].sort();
  }

  /** Registered OS-module names. */
  get osModules(): string[] {
    return [...this.#osModules.keys()].sort();
  }
}

function register<T>(map: Map<string, T>, kind: string, name: string, factory: T): void {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(name)) throw new InvalidInputError(`${kind} name`, `${JSON.stringify(name)} must be lower-case letters, digits and dashes`);
  if (map.has(name)) throw new InvalidInputError(`${kind} name`, `${name} is already registered`);
  map.set(name, factory);
}

function lookup<T>(map: Map<string, T>, kind: string, name: string): T {
  const factory = map.get(name);
  if (!factory) throw new InvalidInputError(`${kind} name`, `no ${kind} named ${JSON.stringify(name)} (registered: ${[...map.keys()].join(', ') || 'none'})`);
  return factory;
}

function checkVersion<T extends { specificationVersion: string }>(module: T, kind: string): T {
  if (module.specificationVersion !== 'v1') throw new UnsupportedSpecificationError(kind, String(module.specificationVersion));
  return module;
}
