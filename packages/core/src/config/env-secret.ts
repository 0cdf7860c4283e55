import { InvalidInputError } from '../errors/index.ts';
import { Secret } from '../secret/index.ts';

/**
 * The secret held in the environment variable a configuration names
 * (`passwordEnv: PROVKIT_VCENTER_PASSWORD`): files name variables, never values. Only the
 * environment's own variables count, so a name like `hasOwnProperty` or `__proto__` is
 * "not set" instead of an inherited function standing in for the password.
 *
 * @param field the setting's full path, for the error
 * @param name the variable's name
 */
export function secretFromEnv(field: string, name: string, env: NodeJS.ProcessEnv = process.env): Secret {
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  if (typeof value !== 'string' || value === '') throw new InvalidInputError(field, `environment variable ${name} is not set`);
  return Secret.of(value);
}
