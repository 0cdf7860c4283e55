import { assertName, ConfigSection, createEmitter, InvalidInputError, type ModuleFactoryContext, type OsModuleV1, type ProvisionerV1, type Secret } from '@provkit/core';
import type { FleetWorkerHost } from './fleet-worker.ts';

/** A module section of the configuration file (`kind` plus the module's own settings). */
export interface FleetModuleConfig {
  kind: string;
  [setting: string]: unknown;
}

/** One host of the fleet as the configuration describes it. */
export interface FleetHostConfig {
  name: string;
  provisioner: FleetModuleConfig;
  os?: FleetModuleConfig;
  /** Operations at once on this host (default 4). */
  concurrency: number;
}

/** The `fleet:` part of a provkit configuration file, with the hosts it serves. */
export interface FleetConfig {
  /** Redis URL (`fleet.redis`), or undefined when the command line or environment gives it. */
  redis?: string;
  hosts: FleetHostConfig[];
  /** Secret references jobs may use: reference name → environment variable holding it. */
  secrets: Record<string, string>;
}

/**
 * Reads the fleet's hosts from a parsed provkit configuration file (the file the CLI reads):
 *
 * ```yaml
 * provisioner: { kind: esx, api: { ... } }   # the CLI's host, served as fleet.host (default "default")
 * os: { kind: linux, ... }
 * fleet:
 *   redis: redis://127.0.0.1:6379
 *   host: esx-a
 *   concurrency: 4
 *   hosts:                                   # further hosts, each like the top level
 *     esx-b: { provisioner: { kind: esx, api: { ... } }, os: { ... }, concurrency: 2 }
 *   secrets:                                 # what jobs may name as passwordRef
 *     guest-admin: { env: PROVKIT_GUEST_ADMIN_PASSWORD }
 * ```
 *
 * Throws `InvalidInputError` naming the field.
 */
export function fleetConfigFromConfig(raw: unknown, where = 'configuration'): FleetConfig {
  if (typeof raw !== 'object' || raw === null) throw new InvalidInputError(where, 'must be a mapping');
  const config = raw as Record<string, unknown>;
  const fleet = new ConfigSection('fleet', config.fleet ?? {});
  const hosts: FleetHostConfig[] = [];
  const defaultConcurrency = fleet.positiveInteger('concurrency') ?? 4;
  if (config.provisioner !== undefined) {
    hosts.push(hostConfig(assertName('fleet.host', fleet.string('host') ?? 'default'), config, 'configuration', defaultConcurrency));
  }
  const more = fleet.raw('hosts');
  if (more !== undefined) {
    if (typeof more !== 'object' || more === null || Array.isArray(more)) throw new InvalidInputError('fleet.hosts', 'must be a mapping of host name to { provisioner, os?, concurrency? }');
    for (const [name, section] of Object.entries(more)) {
      assertName(`fleet.hosts.${name}`, name);
      if (hosts.some((host) => host.name === name)) throw new InvalidInputError(`fleet.hosts.${name}`, 'names a host twice');
      hosts.push(hostConfig(name, section, `fleet.hosts.${name}`, defaultConcurrency));
    }
  }
  if (hosts.length === 0) throw new InvalidInputError(`${where}: provisioner`, 'a fleet worker needs at least one host (provisioner:, or fleet.hosts)');
  const secrets: Record<string, string> = {};
  const secretSection = fleet.section('secrets');
  for (const name of Object.keys((fleet.raw('secrets') as Record<string, unknown> | undefined) ?? {})) {
    const env = secretSection!.section(name)?.requiredString('env');
    if (!env || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) throw new InvalidInputError(`fleet.secrets.${name}.env`, 'must name an environment variable');
    secrets[name] = env;
  }
  const redis = fleet.string('redis');
  return { ...(redis !== undefined ? { redis } : {}), hosts, secrets };
}

function hostConfig(name: string, raw: unknown, where: string, defaultConcurrency: number): FleetHostConfig {
  const section = new ConfigSection(where, raw);
  const module = (key: string, required: boolean): FleetModuleConfig | undefined => {
    const value = section.raw(key);
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'object' || value === null || typeof (value as FleetModuleConfig).kind !== 'string') throw new InvalidInputError(section.field(`${key}.kind`), 'is required (e.g. kvm, esx, linux, windows)');
    return value as FleetModuleConfig;
  };
  const os = module('os', false);
  return { name, provisioner: module('provisioner', true)!, ...(os ? { os } : {}), concurrency: section.positiveInteger('concurrency') ?? defaultConcurrency };
}

/** The module factories a worker builds hosts with (the CLI passes its own). */
export interface FleetModuleFactories {
  createProvisioner(config: FleetModuleConfig, context: ModuleFactoryContext): Promise<ProvisionerV1>;
  createOsModule(config: FleetModuleConfig, context: Omit<ModuleFactoryContext, 'osModule'>): Promise<OsModuleV1>;
}

/**
 * Builds every host's modules (one provisioner and OS module per host, sharing one event
 * emitter so a load's progress includes its post-load steps) and resolves the secret
 * references from the environment. A missing variable is refused before anything connects.
 */
export async function buildFleetHosts(config: FleetConfig, factories: FleetModuleFactories, env: NodeJS.ProcessEnv = process.env): Promise<FleetWorkerHost[]> {
  const secrets: Record<string, Secret> = {};
  const section = new ConfigSection('fleet.secrets', Object.fromEntries(Object.entries(config.secrets).map(([name, variable]) => [name, variable])));
  for (const name of Object.keys(config.secrets)) {
    const secret = section.secretFromEnv(name, env);
    if (!secret) throw new InvalidInputError(`fleet.secrets.${name}.env`, `environment variable ${config.secrets[name]} is not set`);
    secrets[name] = secret;
  }
  const hosts: FleetWorkerHost[] = [];
  try {
    for (const host of config.hosts) {
      const events = createEmitter();
      const osModule = host.os ? await factories.createOsModule(host.os, { events }) : undefined;
      const provisioner = await factories.createProvisioner(host.provisioner, { events, ...(osModule ? { osModule } : {}) });
      hosts.push({ name: host.name, provisioner, ...(osModule ? { osModule } : {}), secrets, concurrency: host.concurrency });
    }
  } catch (error) {
    await closeFleetHosts(hosts);
    throw error;
  }
  return hosts;
}

/** Closes the modules {@link buildFleetHosts} made. */
export async function closeFleetHosts(hosts: readonly FleetWorkerHost[]): Promise<void> {
  await Promise.allSettled(hosts.flatMap((host) => [host.provisioner.close(), ...(host.osModule ? [host.osModule.close()] : [])]));
}
