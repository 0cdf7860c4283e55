import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ProvkitError } from '../errors/index.ts';
import { parseByteQuantity } from '../validate/byte-quantity.ts';
import { checkAbsolutePath, checkHost } from '../validate/index.ts';

/**
 * Building blocks for module configuration schemas. Each one keeps its value as written in the
 * file on the input side (what the published JSON Schema describes) and hands the factory the
 * checked value on the output side.
 */

/** Runs a core validator (`checkHost`, ...) as a schema check, keeping its reason. */
function fromValidator<T>(schema: z.ZodType<T>, validate: (field: string, value: unknown) => unknown): z.ZodType<T> {
  return schema.superRefine((value, context) => {
    try {
      validate('value', value);
    } catch (error) {
      if (!ProvkitError.hasCode(error, 'INVALID_INPUT')) throw error;
      context.addIssue({ code: 'custom', message: error.message.replace(/^Invalid value: /, '') });
    }
  });
}

/** A non-empty string. */
export const nonEmptyString = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });

/** A duration in milliseconds: a positive whole number (`timeoutMs: soon` or `-1` is refused). */
export const durationMs = z
  .number({ error: 'must be a positive whole number of milliseconds' })
  .int({ error: 'must be a positive whole number of milliseconds' })
  .positive({ error: 'must be a positive whole number of milliseconds' });

/** A positive whole number (counts). */
export const positiveInteger = z
  .number({ error: 'must be a positive whole number' })
  .int({ error: 'must be a positive whole number' })
  .positive({ error: 'must be a positive whole number' });

/** `true` or `false`. */
export const booleanSetting = z.boolean({ error: 'must be true or false' });

/** A TCP port. */
export const portSetting = z
  .number({ error: 'must be a port number (1-65535)' })
  .int({ error: 'must be a port number (1-65535)' })
  .min(1, { error: 'must be a port number (1-65535)' })
  .max(65535, { error: 'must be a port number (1-65535)' });

/** A host name or IP address to connect to. */
export const hostSetting = fromValidator(nonEmptyString, checkHost);

/** An absolute path on the host a module drives (no `..`, no control characters). */
export const remotePath = fromValidator(nonEmptyString, checkAbsolutePath);

/** A byte quantity with its unit (`2 GiB` binary, `2 GB` decimal), read as bytes. */
export const byteQuantity = z
  .string({ error: 'must be a quantity with a unit such as "2 GiB" (binary) or "2 GB" (decimal)' })
  .transform((value, context) => {
    try {
      return parseByteQuantity('value', value);
    } catch (error) {
      if (!ProvkitError.hasCode(error, 'INVALID_INPUT')) throw error;
      context.addIssue({ code: 'custom', message: error.message.replace(/^Invalid value: /, '') });
      return z.NEVER;
    }
  });

/** The name of an environment variable that holds a secret (the file never holds the secret). */
export const envVarName = z
  .string({ error: 'must name an environment variable' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must name an environment variable (letters, digits, _)' });

/**
 * A path on this machine (a key, known_hosts or CA file): absolute, or `~/…` for the user's
 * home as in OpenSSH's own configuration; read as the absolute path.
 */
export const localPath = nonEmptyString.transform((value, context) => {
  const path = value.startsWith('~/') ? join(homedir(), value.slice(2)) : value;
  try {
    return checkAbsolutePath('value', path);
  } catch {
    context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an absolute path (or ~/...) without ".."` });
    return z.NEVER;
  }
});

/** A {@link localPath} that must name a readable file now, when the module is made, not at first use. */
export const readableFile = localPath.superRefine((path, context) => {
  const problem = fileProblem(path);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** Why `path` is not a readable file, or `undefined` when it is. */
export function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : code === 'EACCES' ? `${path} is not readable (permission denied)` : `${path}: ${(error as Error).message}`;
  }
}

/** Why a file that may be created later (accept-new known_hosts) cannot be: its folder is missing. */
export function creatableFileProblem(path: string): string | undefined {
  try {
    statSync(path);
    return fileProblem(path);
  } catch {
    try {
      if (statSync(dirname(path)).isDirectory()) return undefined;
    } catch {
      // reported below
    }
    return `${path} does not exist and its folder ${dirname(path)} does not either`;
  }
}
