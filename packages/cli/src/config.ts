import { existsSync, readFileSync } from 'node:fs';
import { InvalidInputError, type NodeSpec } from '@provkit/core';
import { parse } from 'yaml';

/** One module's section of the configuration: its kind plus its own settings. */
export interface ModuleConfig {
  kind: string;
  [setting: string]: unknown;
}

/**
 * The `provkit` configuration file (YAML or JSON):
 *
 * ```yaml
 * provisioner: { kind: kvm, host: { host: kvm1, username: provkit, privateKeyPath: ~/.ssh/id_ed25519, knownHostsPath: ~/.ssh/known_hosts } }
 * os: { kind: linux, username: root, privateKeyPath: ~/.ssh/id_ed25519, knownHostsPath: ~/.provkit/guests_known_hosts }
 * nodes: { web-1: { address: { host: 192.0.2.21 } } }
 * ```
 */
export interface CliConfig {
  provisioner: ModuleConfig;
  os?: ModuleConfig;
  nodes: Record<string, Omit<NodeSpec, 'name'>>;
}

/** Where the configuration is looked for when `--config` is not given. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PROVKIT_CONFIG ?? 'provkit.yaml';
}

/** Reads and checks a configuration file. */
export function loadConfig(path: string): CliConfig {
  if (!existsSync(path)) throw new InvalidInputError('--config', `no configuration file at ${path} (see \`provkit --help\`)`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError('--config', `${path} is not valid YAML/JSON: ${(error as Error).message}`, { cause: error });
  }
  return checkConfig(raw, path);
}

/** Validates a parsed configuration object. */
export function checkConfig(raw: unknown, where = 'configuration'): CliConfig {
  if (typeof raw !== 'object' || raw === null) throw new InvalidInputError(where, 'must be a mapping');
  const config = raw as Record<string, unknown>;
  const section = (name: string, required: boolean): ModuleConfig | undefined => {
    const value = config[name];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'object' || value === null || typeof (value as ModuleConfig).kind !== 'string') {
      throw new InvalidInputError(`${where}: ${name}.kind`, 'is required (e.g. kvm, esx, linux, windows)');
    }
    return value as ModuleConfig;
  };
  const nodes = config.nodes ?? {};
  if (typeof nodes !== 'object' || nodes === null) throw new InvalidInputError(`${where}: nodes`, 'must be a mapping of node name to settings');
  const os = section('os', false);
  return { provisioner: section('provisioner', true)!, ...(os ? { os } : {}), nodes: nodes as CliConfig['nodes'] };
}

/** The node named on the command line, with what the configuration says about it. */
export function nodeFromConfig(config: CliConfig, name: string, address?: string): NodeSpec {
  const known = config.nodes[name] ?? {};
  const node: NodeSpec = { name, ...known };
  if (address) {
    const [host, port] = address.split(/:(?=\d+$)/);
    if (!host) throw new InvalidInputError('--address', `${address} is not host[:port]`);
    node.address = port ? { host, port: Number(port) } : { host };
  }
  return node;
}
