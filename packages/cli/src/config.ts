import { existsSync, readFileSync } from 'node:fs';
import { InvalidInputError, parseConfig, type NodeSpec } from '@provkit/core';
import { parse } from 'yaml';
import { cliConfigSchema } from './config-file-schema.ts';

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
  return (Object.hasOwn(env, 'PROVKIT_CONFIG') ? env.PROVKIT_CONFIG : undefined) || 'provkit.yaml';
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
  return checkConfig(raw);
}

/**
 * Checks a parsed configuration file's shape: the sections, each module's `kind`, the nodes.
 * Each module's own settings are checked by its factory, with its schema, when it is built.
 */
export function checkConfig(raw: unknown): CliConfig {
  const config = parseConfig(cliConfigSchema, '', raw);
  return { provisioner: config.provisioner, ...(config.os ? { os: config.os } : {}), nodes: (config.nodes ?? {}) as CliConfig['nodes'] };
}

/** The node named on the command line, with what the configuration says about it. */
export function nodeFromConfig(config: Pick<CliConfig, 'nodes'>, name: string, address?: string): NodeSpec {
  const known = Object.hasOwn(config.nodes, name) ? config.nodes[name] : {};
  const node: NodeSpec = { name, ...known };
  if (address) {
    const [host, port] = address.split(/:(?=\d+$)/);
    if (!host) throw new InvalidInputError('--address', `${address} is not host[:port]`);
    node.address = port ? { host, port: Number(port) } : { host };
  }
  return node;
}
