import { inspect } from 'node:util';

const REDACTED = '[redacted]';
const values = new WeakMap<Secret, string>();

/**
 * A password or key that never prints itself. `String(secret)`, `JSON.stringify`,
 * `util.inspect` and template literals all give `[redacted]`; only {@link Secret.reveal}
 * returns the value, and provkit calls it only where the value goes to stdin or a file.
 */
export class Secret {
  private constructor(value: string) {
    values.set(this, value);
  }

  /** Wraps a value. An empty value is allowed (an account with no password is a choice). */
  static of(value: string): Secret {
    return new Secret(value);
  }

  /** True for any `Secret` from this copy of core. */
  static isSecret(value: unknown): value is Secret {
    return value instanceof Secret;
  }

  /** The plain value. Use only to hand it to stdin or a protected file. */
  reveal(): string {
    return values.get(this) ?? '';
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}

/** Replaces every occurrence of each secret's value in `text` by `[redacted]`. */
export function redact(text: string, secrets: Iterable<Secret | string>): string {
  let out = text;
  for (const secret of secrets) {
    const value = typeof secret === 'string' ? secret : secret.reveal();
    if (value.length > 0) out = out.split(value).join(REDACTED);
  }
  return out;
}
