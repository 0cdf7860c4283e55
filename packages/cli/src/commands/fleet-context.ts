import { existsSync, readFileSync } from 'node:fs';
import { InvalidInputError } from '@provkit/core';
import { fleetConfigFromConfig, type FleetConfig } from '@provkit/fleet';
import { parse } from 'yaml';
import { defaultConfigPath } from '../config.ts';

/** The configuration file parsed as YAML/JSON, or undefined when it is optional and absent. */
export function readConfigFile(path: string | undefined, required: boolean): unknown {
  const file = path ?? defaultConfigPath();
  if (!existsSync(file)) {
    if (!required && path === undefined) return undefined;
    throw new InvalidInputError('--config', `no configuration file at ${file} (see \`provkit --help\`)`);
  }
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidInputError('--config', `${file} is not valid YAML/JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The fleet part of the configuration, if there is a configuration. */
export function fleetConfig(raw: unknown): FleetConfig | undefined {
  return raw === undefined ? undefined : fleetConfigFromConfig(raw);
}

/** Redis: `--redis`, else `$PROVKIT_REDIS_URL`, else `fleet.redis` of the configuration. */
export function redisUrl(flag: string | undefined, config: FleetConfig | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.PROVKIT_REDIS_URL ?? config?.redis;
  if (!url) throw new InvalidInputError('--redis', 'is required: give --redis redis://host:port, PROVKIT_REDIS_URL, or fleet.redis in the configuration');
  return url;
}

/** A non-negative integer flag. */
export function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) throw new InvalidInputError(`--${name}`, `${JSON.stringify(value)} is not a whole number`);
  return Number(value);
}
