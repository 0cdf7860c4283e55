import { InvalidInputError } from '@provkit/core';

// PowerShell treats the typographic single quotes like ' (about_Quoting_Rules), so each of
// them must be doubled too, or a value containing one would end the literal early.
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/**
 * Quotes `value` as a PowerShell single-quoted string literal: no variable expansion, no
 * escape sequences, every quote character doubled. NUL is refused (it cannot survive the
 * trip through the command line or a script file).
 */
export function psQuote(value: string): string {
  if (value.includes('\0')) throw new InvalidInputError('PowerShell string', 'contains a NUL character');
  return `'${value.replace(SINGLE_QUOTES, (quote) => quote + quote)}'`;
}

/** PowerShell source that {@link ps} inserts as is (already quoted or trusted). */
export class PsFragment {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** Marks PowerShell text as trusted source for {@link ps}. */
export function psRaw(text: string): PsFragment {
  return new PsFragment(text);
}

/** A value {@link ps} accepts. */
export type PsValue = string | number | boolean | PsFragment | readonly (string | number)[];

function literal(value: Exclude<PsValue, PsFragment>): string {
  if (typeof value === 'string') return psQuote(value);
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError('PowerShell number', `${value} is not finite`);
    return String(value);
  }
  return `@(${value.map((item) => literal(item)).join(', ')})`;
}

/**
 * Tagged template that builds PowerShell source: strings become single-quoted literals,
 * numbers and booleans PowerShell literals, arrays `@(...)` arrays; {@link PsFragment}s are
 * inserted verbatim.
 *
 * ```ts
 * ps`Remove-LocalUser -Name ${name}`   // Remove-LocalUser -Name 'o''brien'
 * ```
 */
export function ps(strings: TemplateStringsArray, ...values: PsValue[]): PsFragment {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += value instanceof PsFragment ? value.text : literal(value);
    out += strings[index + 1] ?? '';
  });
  return new PsFragment(out);
}
