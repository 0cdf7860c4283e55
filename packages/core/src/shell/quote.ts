import { InvalidInputError } from '../errors/index.ts';

const safe = /^[A-Za-z0-9_@%+=:,./-]+$/;
// `NAME=value` as a command's first word is a variable assignment, not a program name (POSIX
// 2.9.1), so such a word is quoted wherever it stands. Words whose `=` cannot form an assignment
// (`--output=json`, `a-b=c`) stay readable.
const assignment = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Quotes one word for a POSIX shell so that `sh -c` sees exactly these bytes.
 * Safe words pass unchanged; anything else, and any word sh would read as an assignment
 * (`FOO=bar`), is single-quoted with `'` written as `'\''`.
 * NUL cannot be passed through a shell and is refused.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new InvalidInputError('command argument', 'contains a NUL byte');
  if (word.length > 0 && safe.test(word) && !assignment.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces: an argv turned into one command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A fragment of shell text that {@link sh} inserts as is (already quoted or trusted). */
export class ShellFragment {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** Marks text as already-safe shell (for example another `sh` result or an operator like `&&`). */
export function raw(text: string): ShellFragment {
  return new ShellFragment(text);
}

/** A value `sh` accepts: quoted as one word, several words (arrays), or inserted verbatim (fragments). */
export type ShellValue = string | number | ShellFragment | readonly (string | number)[];

/**
 * Tagged template that builds a command line: every interpolated value is quoted as one word
 * (arrays become several words); {@link ShellFragment}s are inserted verbatim.
 *
 * ```ts
 * sh`virsh domstate ${name}`            // virsh domstate 'web 1'
 * sh`rm -f -- ${paths}`                  // rm -f -- a 'b c'
 * ```
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): ShellFragment {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    if (value instanceof ShellFragment) out += value.text;
    else if (Array.isArray(value)) out += shellJoin(value.map(String));
    else out += shellQuote(String(value));
    out += strings[index + 1] ?? '';
  });
  return new ShellFragment(out);
}
