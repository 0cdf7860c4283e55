import { checkName, configObject, createEmitter, envVarName, InvalidInputError, NAME_PATTERN, nonEmptyString, parseConfig, positiveInteger, secretFromEnv, type ModuleFactoryContext, type OsModuleV1, type ProvisionerV1, type Secret } from '@provkit/core';
import { z } from 'zod';
import type { FleetWorkerHost } from './fleet-worker.ts';

/** A module section of the configuration file (`kind` plus the module's own settings). */
export interface FleetModuleConfig {
  kind: string;
  [setting: string]: unknown;
}

/** A module section as the fleet reads it: its `kind`; the module's own factory checks the rest. */
const fleetModuleSection = z.looseObject({ kind: z.string({ error: 'is required (e.g. kvm, esx, linux, windows)' }).min(1, { error: 'is required (e.g. kvm, esx, linux, windows)' }) });

/** One host of `fleet.hosts` (the top level's `provisioner:` / `os:` is read the same way). */
const fleetHostSchema = configObject({
  provisioner: fleetModuleSection,
  os: fleetModuleSection.optional(),
  concurrency: positiveInteger.optional(),
});

/** The `fleet:` section of the configuration file; unknown keys are refused with a did-you-mean. */
export const fleetSectionSchema = configObject({
  redis: nonEmptyString.optional(),
  host: nonEmptyString.optional(),
  concurrency: positiveInteger.optional(),
  hosts: z.record(z.string().regex(NAME_PATTERN, { error: 'host names are letters, digits, ".", "_", "-"' }), fleetHostSchema).optional(),
  secrets: z.record(z.string().regex(NAME_PATTERN, { error: 'secret names are letters, digits, ".", "_", "-"' }), configObject({ env: envVarName })).optional(),
});

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
  const fleet = parseConfig(fleetSectionSchema, 'fleet', config.fleet ?? {});
  const defaultConcurrency = fleet.concurrency ?? 4;
  const hosts: FleetHostConfig[] = [];
  if (config.provisioner !== undefined) {
    const top = parseConfig(fleetHostSchema, '', { provisioner: config.provisioner, ...(config.os !== undefined ? { os: config.os } : {}) });
    hosts.push(hostConfig(checkName('fleet.host', fleet.host ?? 'default'), top, defaultConcurrency));
  }
  for (const [name, section] of Object.entries(fleet.hosts ?? {})) {
    if (hosts.some((host) => host.name === name)) throw new InvalidInputError(`fleet.hosts.${name}`, 'names a host twice');
    hosts.push(hostConfig(name, section, defaultConcurrency));
  }
  if (hosts.length === 0) throw new InvalidInputError(`${where}: provisioner`, 'a fleet worker needs at least one host (provisioner:, or fleet.hosts)');
  const secrets = Object.fromEntries(Object.entries(fleet.secrets ?? {}).map(([name, { env }]) => [name, env]));
  return { ...(fleet.redis !== undefined ? { redis: fleet.redis } : {}), hosts, secrets };
}

function hostConfig(name: string, section: z.output<typeof fleetHostSchema>, defaultConcurrency: number): FleetHostConfig {
  return { name, provisioner: section.provisioner, ...(section.os ? { os: section.os } : {}), concurrency: section.concurrency ?? defaultConcurrency };
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
  for (const [name, variable] of Object.entries(config.secrets)) secrets[name] = secretFromEnv(`fleet.secrets.${name}.env`, variable, env);
  const hosts: FleetWorkerHost[] = [];
  try {
    for (const host of config.hosts) {
      const events = createEmitter();
      const osModule = host.os ? await factories.createOsModule(host.os, { events }) : undefined;
      const provisioner = await factories.createProvisioner(host.provisioner, { events, osModule });
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
