import { readFileSync } from 'node:fs';
import { InvalidInputError, Secret, secretFromEnv } from '@provkit/core';

/** Where a password given to a command comes from: never the command line, which `ps` shows to every user. */
export interface SecretSources {
  /** `--password-env VAR`: an environment variable's name. */
  env?: string | undefined;
  /** `--password-file FILE`: a file whose first line is the password (`-` for standard input). */
  file?: string | undefined;
  /** `--password-stdin`: the first line of standard input. */
  stdin?: boolean | undefined;
}

/** Reads the password a command was pointed at; `undefined` when none was. */
export function readSecret(sources: SecretSources, readStdin: () => string = () => readFileSync(0, 'utf8')): Secret | undefined {
  const given = [sources.env !== undefined, sources.file !== undefined, sources.stdin === true].filter(Boolean).length;
  if (given > 1) throw new InvalidInputError('--password-env/--password-file/--password-stdin', 'give only one');
  if (sources.env !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(sources.env)) throw new InvalidInputError('--password-env', 'must name an environment variable (letters, digits, _)');
    return secretFromEnv('--password-env', sources.env);
  }
  if (sources.file === undefined && sources.stdin !== true) return undefined;
  const field = sources.file !== undefined ? '--password-file' : '--password-stdin';
  let text: string;
  try {
    text = sources.file !== undefined && sources.file !== '-' ? readFileSync(sources.file, 'utf8') : readStdin();
  } catch (error) {
    throw new InvalidInputError(field, `cannot read ${sources.file ?? 'standard input'}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') throw new InvalidInputError(field, 'the password is empty');
  return Secret.of(password);
}
