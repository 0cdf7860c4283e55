import { isIP } from 'node:net';
import { InvalidInputError } from '../errors/index.ts';

/** Names of nodes, domains and hosts: letters, digits, `.`, `_`, `-`; 1–63 chars; no leading dot or dash. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;
/** Image names `<name>-v<revision>`, e.g. `debian12-base-v3`. */
export const IMAGE_NAME_PATTERN = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,54})-v([0-9]{1,6})$/;
/** POSIX-portable user names as `useradd` accepts them. */
export const USERNAME_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/** C0 and C1 control characters and DEL. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A refused value as shown in an error: quoted, cut to 80 characters (a huge input must not
 * make a huge message), or its type when it is not a string or number.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}…` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

function check(field: string, value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string') throw new InvalidInputError(field, `expected a string, got ${describeValue(value)}`);
  if (!pattern.test(value)) throw new InvalidInputError(field, `${describeValue(value)} is not ${what} (${pattern.source})`);
  return value;
}

/** Validates a node, domain or host name and returns it. */
export function checkName(field: string, value: unknown): string {
  const name = check(field, value, NAME_PATTERN, 'a valid name');
  if (name.includes('..')) throw new InvalidInputError(field, `${describeValue(name)} contains ".."`);
  return name;
}

/** The parts of an image name. */
export interface ImageName {
  name: string;
  /** The base name without the revision, e.g. `debian12-base`. */
  base: string;
  revision: number;
}

/** Validates an image name `<name>-v<revision>` and returns its parts. */
export function parseImageName(field: string, value: unknown): ImageName {
  const name = check(field, value, IMAGE_NAME_PATTERN, 'an image name of the form <name>-v<revision>');
  const match = IMAGE_NAME_PATTERN.exec(name)!;
  if (name.includes('..')) throw new InvalidInputError(field, `${describeValue(name)} contains ".."`);
  return { name, base: match[1]!, revision: Number(match[2]) };
}

/** Validates an image name and returns it. */
export function checkImageName(field: string, value: unknown): string {
  return parseImageName(field, value).name;
}

/** Builds `<base>-v<revision>` after validating both parts. */
export function formatImageName(base: string, revision: number): string {
  if (!Number.isInteger(revision) || revision < 0) throw new InvalidInputError('revision', `${revision} is not a non-negative integer`);
  return checkImageName('image', `${base}-v${revision}`);
}

/** Validates a local user name. */
export function checkUsername(field: string, value: unknown): string {
  return check(field, value, USERNAME_PATTERN, 'a valid user name');
}

/**
 * Validates an IPv4 or IPv6 address (no host names, no CIDR) and returns it. An IPv6 zone id
 * (`fe80::1%eth0`) is refused: it names an interface of whoever reads it, means nothing in a
 * firewall rule of another machine, and `%` is an expansion character of `cmd.exe`.
 */
export function checkIpAddress(field: string, value: unknown): string {
  if (typeof value !== 'string' || isIP(value) === 0 || value.includes('%')) throw new InvalidInputError(field, `${describeValue(value)} is not an IP address`);
  return value;
}

/** Validates a TCP/UDP port number. */
export function checkPort(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidInputError(field, `${describeValue(value)} is not a port number (1-65535)`);
  }
  return value;
}

/** Validates a positive integer (counts, sizes). */
export function checkPositiveInteger(field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(field, `${describeValue(value)} is not an integer between 1 and ${max}`);
  }
  return value;
}

/**
 * Validates an absolute POSIX path without `..` segments or control characters (a path is
 * written into commands, XML and logs, where a control character changes what it means).
 */
export function checkAbsolutePath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || CONTROL_CHARACTERS.test(value) || value.split('/').includes('..') || value.length > 4096) {
    throw new InvalidInputError(field, `${describeValue(value)} is not an absolute path without ".." or control characters`);
  }
  return value;
}

/** Validates a host name or IP address that may be used to connect to. */
export function checkHost(field: string, value: unknown): string {
  if (typeof value === 'string' && isIP(value) !== 0) return value;
  return check(field, value, /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 'a host name or IP address');
}
