import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.ts';
import { parseByteQuantity } from '../validate/byte-quantity.ts';
import { Secret } from '../secret/index.ts';
import { checkAbsolutePath } from '../validate/index.ts';

/**
 * Reads one section of a provkit configuration file (parsed YAML/JSON), naming every bad
 * field by its full path (`provisioner.host.port`). Module factories (`createKvmProvisioner`,
 * `createLinuxOsModule`, ...) read their settings through it, so every module refuses a bad
 * configuration the same way, before it connects to anything.
 */
export class ConfigSection {
  /** The section's path in the file, e.g. `provisioner` or `provisioner.host`. */
  readonly path: string;
  readonly #values: Record<string, unknown>;

  constructor(path: string, values: unknown) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new InvalidInputError(path, 'must be a mapping');
    this.path = path;
    this.#values = values as Record<string, unknown>;
  }

  /** The full name of `key` in this section, for error messages. */
  field(key: string): string {
    return `${this.path}.${key}`;
  }

  /** True when the section sets `key`. */
  has(key: string): boolean {
    return this.#values[key] !== undefined;
  }

  /** The raw value of `key`, for settings a module validates itself. */
  raw(key: string): unknown {
    return this.#values[key];
  }

  /** A non-empty string, or `undefined` when absent. */
  string(key: string): string | undefined {
    const value = this.#values[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError(this.field(key), 'must be a non-empty string');
    return value;
  }

  /** A string that must be present. */
  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw new InvalidInputError(this.field(key), 'is required');
    return value;
  }

  /**
   * A path on this machine (a key file, a known_hosts file, a CA): absolute, or starting
   * with `~/` for the user's home as in OpenSSH's own configuration. `undefined` when absent.
   */
  localPath(key: string, home: string = homedir()): string | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    return checkAbsolutePath(this.field(key), value.startsWith('~/') ? join(home, value.slice(2)) : value);
  }

  /** One of `choices`, or `undefined` when absent. */
  choice<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!(choices as readonly string[]).includes(value)) throw new InvalidInputError(this.field(key), `${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
    return value as T;
  }

  /** A positive integer, or `undefined` when absent. */
  positiveInteger(key: string): number | undefined {
    const value = this.#values[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new InvalidInputError(this.field(key), 'must be a positive whole number');
    return value;
  }

  /** A whole number of 0 or more (where 0 means "off"), or `undefined` when absent. */
  nonNegativeInteger(key: string): number | undefined {
    const value = this.#values[key];
    if (value === undefined || value === 0) return value;
    return this.positiveInteger(key);
  }

  /** `true` or `false`, or `undefined` when absent. */
  boolean(key: string): boolean | undefined {
    const value = this.#values[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw new InvalidInputError(this.field(key), 'must be true or false');
    return value;
  }

  /** A list of non-empty strings (a single string counts as a list of one), or `undefined`. */
  strings(key: string): string[] | undefined {
    const value = this.#values[key];
    if (value === undefined) return undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string' || entry.length === 0)) throw new InvalidInputError(this.field(key), 'must be a string or a list of strings');
    return list as string[];
  }

  /** A byte quantity with an explicit unit (`1 GiB`), or `undefined` when absent. */
  bytes(key: string): number | undefined {
    const value = this.#values[key];
    return value === undefined ? undefined : parseByteQuantity(this.field(key), value);
  }

  /** A nested mapping, or `undefined` when absent. */
  section(key: string): ConfigSection | undefined {
    const value = this.#values[key];
    return value === undefined ? undefined : new ConfigSection(this.field(key), value);
  }

  /**
   * A secret held in an environment variable: the configuration names the variable
   * (`passwordEnv: PROVKIT_VCENTER_PASSWORD`), never the value, so files stay shareable.
   */
  secretFromEnv(key: string, env: NodeJS.ProcessEnv = process.env): Secret | undefined {
    const name = this.string(key);
    if (name === undefined) return undefined;
    const value = env[name];
    if (value === undefined || value === '') throw new InvalidInputError(this.field(key), `environment variable ${name} is not set`);
    return Secret.of(value);
  }
}
