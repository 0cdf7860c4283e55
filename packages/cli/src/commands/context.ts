import { InvalidInputError, type NodeSpec, type OsModuleV1, type ProvisionerV1 } from '@provkit/core';
import { parseWholeNumber } from '../units.ts';
import type { Output } from '../output.ts';

/** The flags a command may read (node:util parseArgs values). */
export type Flags = Record<string, string | boolean | string[] | undefined>;

/** What every command gets: parsed flags, output, lazily built modules, the Ctrl-C signal. */
export interface CommandContext {
  positionals: string[];
  flags: Flags;
  output: Output;
  signal: AbortSignal;
  /** The configured provisioner, built on first use. */
  provisioner(): Promise<ProvisionerV1>;
  /** The configured OS module, or `undefined` when the file has no `os:` section. */
  osModule(): Promise<OsModuleV1 | undefined>;
  /** A provisioner built from another configuration file (`image retrieve --from-config`); closed with the run. */
  provisionerFrom(configPath: string): Promise<ProvisionerV1>;
  node(name: string | undefined): NodeSpec;
}

/** A required positional argument. */
export function required(value: string | undefined, what: string): string {
  if (!value) throw new InvalidInputError(what, 'is required (see provkit --help)');
  return value;
}

/** A string flag, or `undefined`. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string flag (`--port 22 --port 80`), empty when absent. */
export function listFlag(flags: Flags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** `--timeout MS`, or `undefined`. */
export function timeoutFlag(flags: Flags): { timeoutMs?: number } {
  const text = stringFlag(flags, 'timeout');
  return text === undefined ? {} : { timeoutMs: parseWholeNumber('--timeout', text) };
}

/** One of `choices` from a flag, or `fallback`. */
export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[], fallback: T): T {
  const value = stringFlag(flags, name) ?? fallback;
  if (!(choices as readonly string[]).includes(value)) throw new InvalidInputError(`--${name}`, `${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
  return value as T;
}

/** The OS module, which the command needs: the file must have an `os:` section. */
export async function requireOsModule(context: CommandContext): Promise<OsModuleV1> {
  const module = await context.osModule();
  if (!module) throw new InvalidInputError('os', 'this command needs an os: section in the configuration (kind: linux, windows or module:<package>)');
  return module;
}
