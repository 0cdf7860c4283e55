import type { NodeSpec } from '../contracts/index.ts';
import { InvalidInputError } from '../errors/index.ts';
import { checkAbsolutePath, checkHost, checkName, checkPort, CONTROL_CHARACTERS, describeValue } from './validate.ts';

// Shape checks for what JavaScript callers get wrong (null, wrong types, arrays for objects):
// each throws InvalidInputError naming the field, so no operation meets a TypeError later.

/** Built-ins that are objects but never a record of named members (a caller's mistake). */
const NOT_RECORDS = [Date, RegExp, Map, Set, WeakMap, WeakSet, Promise, Error, ArrayBuffer, Number, String, Boolean];

/**
 * Validates that `value` is a record of named members (not null, an array, a typed array, a
 * Buffer, a Date, a Map, a boxed primitive...) and returns it.
 */
export function checkObject<T extends object>(field: string, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value) || NOT_RECORDS.some((type) => value instanceof type)) {
    throw new InvalidInputError(field, `expected an object, got ${describeValue(value)}`);
  }
  return value as T;
}

/** Like {@link checkObject}, but `undefined` passes (an optional member). */
export function checkOptionalObject<T extends object>(field: string, value: unknown): T | undefined {
  return value === undefined ? undefined : checkObject<T>(field, value);
}

/** Validates an array of strings (each checked by `each` when given) and returns it. */
export function checkStringArray(field: string, value: unknown, each?: (field: string, item: unknown) => unknown): string[] {
  if (!Array.isArray(value)) throw new InvalidInputError(field, `expected an array of strings, got ${describeValue(value)}`);
  return value.map((item: unknown, index) => {
    const itemField = `${field}[${index}]`;
    if (typeof item !== 'string') throw new InvalidInputError(itemField, `expected a string, got ${describeValue(item)}`);
    each?.(itemField, item);
    return item;
  });
}

/** Validates one of a fixed set of values. */
export function checkOneOf<const T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new InvalidInputError(field, `${describeValue(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** Validates a boolean. */
export function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidInputError(field, `expected true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * Validates a duration in milliseconds: a finite integer ≥ 0 (`min` 1 where zero would
 * mean "no time at all"). A negative, NaN or string timeout would otherwise act first (send
 * the power-off) and fail after.
 */
export function checkTimeoutMs(field: string, value: unknown, options: { min?: number; max?: number } = {}): number {
  const min = options.min ?? 0;
  const max = options.max ?? 2 ** 31 - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `${describeValue(value)} is not a duration in milliseconds (an integer from ${min} to ${max})`);
  }
  return value;
}

/** Like {@link checkTimeoutMs}, but `undefined` passes (the default applies). */
export function checkOptionalTimeoutMs(field: string, value: unknown, options: { min?: number; max?: number } = {}): number | undefined {
  return value === undefined ? undefined : checkTimeoutMs(field, value, options);
}

/** Validates one line of printable text of at most `maxLength` characters. */
export function checkPrintableText(field: string, value: unknown, maxLength = 1024): string {
  if (typeof value !== 'string' || CONTROL_CHARACTERS.test(value) || value.length > maxLength) {
    throw new InvalidInputError(field, `${describeValue(value)} is not one line of printable text of at most ${maxLength} characters`);
  }
  return value;
}

/** Validates an `AbortSignal` option (absent passes). */
export function checkOptionalSignal(field: string, value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new InvalidInputError(field, `expected an AbortSignal, got ${describeValue(value)}`);
}

/**
 * Validates a node: an object with a valid `name`, and an `address` that, when given, is an
 * object with a valid host and port. `mac` is left to the provisioner that uses it.
 */
export function checkNode(field: string, value: unknown): NodeSpec {
  const node = checkObject<NodeSpec>(field, value);
  checkName(`${field}.name`, node.name);
  if (node.address !== undefined) {
    const address = checkObject<{ host: unknown; port?: unknown }>(`${field}.address`, node.address);
    checkHost(`${field}.address.host`, address.host);
    if (address.port !== undefined) checkPort(`${field}.address.port`, address.port);
  }
  return node;
}

/**
 * Validates two directories that must not overlap (one equal to, inside or containing the
 * other): deleting in one would otherwise delete in the other.
 */
export function checkSeparateDirectories(first: { field: string; path: unknown }, second: { field: string; path: unknown }): void {
  const a = checkAbsolutePath(first.field, first.path).replace(/\/+$/, '') + '/';
  const b = checkAbsolutePath(second.field, second.path).replace(/\/+$/, '') + '/';
  const normalize = (path: string): string => path.replace(/\/(\.\/)+/g, '/').replace(/\/{2,}/g, '/');
  const [x, y] = [normalize(a), normalize(b)];
  if (x.startsWith(y) || y.startsWith(x)) throw new InvalidInputError(second.field, `${describeValue(second.path)} overlaps ${first.field} ${describeValue(first.path)}: they must be separate directories`);
}

/**
 * Validates the options object of an operation and the members every operation shares
 * (`signal`, `onProgress`): the first check of every public operation.
 */
export function checkOperationOptions<T extends object>(value: unknown, field = 'options'): T {
  const options = checkObject<T & { signal?: unknown; onProgress?: unknown }>(field, value);
  checkOptionalSignal('signal', options.signal);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new InvalidInputError('onProgress', `expected a function, got ${describeValue(options.onProgress)}`);
  return options;
}

/** Validates an OS module given to an operation (absent passes): a v1 module object, not a name. */
export function checkOptionalOsModule<T>(field: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  const module = value as { specificationVersion?: unknown; postLoad?: unknown; preCapture?: unknown; waitForResponse?: unknown };
  if (typeof value !== 'object' || value === null || module.specificationVersion !== 'v1' || typeof module.postLoad !== 'function' || typeof module.preCapture !== 'function' || typeof module.waitForResponse !== 'function') {
    throw new InvalidInputError(field, `expected an OS module object (OsModuleV1), got ${describeValue(value)}`);
  }
  return value as T;
}
