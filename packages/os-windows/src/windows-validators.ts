import { InvalidInputError } from '@provkit/core';

/**
 * Local Windows account names this module accepts: 1-20 characters (the SAM limit) of
 * letters, digits, `_`, `-` and `.`, not starting with `.` or `-` and not ending with `.`.
 * Stricter than Windows, so a name is safe in any script, path or log.
 */
export const WINDOWS_USERNAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$/;

/** Validates a local Windows user name and returns it. */
export function assertWindowsUsername(field: string, value: unknown): string {
  if (typeof value !== 'string' || !WINDOWS_USERNAME_PATTERN.test(value) || value.endsWith('.')) {
    throw new InvalidInputError(field, `${JSON.stringify(value)} is not a valid Windows user name (${WINDOWS_USERNAME_PATTERN.source})`);
  }
  return value;
}

/** Validates a NetBIOS computer name (1-15 letters, digits, `-`, not all digits). */
export function assertComputerName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^(?![0-9]+$)[A-Za-z0-9-]{1,15}$/.test(value) || value.startsWith('-')) {
    throw new InvalidInputError(field, `${JSON.stringify(value)} is not a computer name of 1-15 letters, digits and "-"`);
  }
  return value;
}

/** Validates an absolute Windows path on a drive (`C:\...`) without `..` segments or reserved characters. */
export function assertWindowsPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z]:\\[^<>:"/|?*\r\n\0]{1,240}$/.test(value) || value.split('\\').includes('..')) {
    throw new InvalidInputError(field, `${JSON.stringify(value)} is not an absolute Windows path like C:\\folder\\file`);
  }
  return value;
}

/**
 * Validates a password for a Windows account without ever printing it: it must fit on one
 * line (stdin carries it) and contain no NUL.
 */
export function assertWindowsPassword(field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new InvalidInputError(field, 'must not contain line breaks or NUL');
}

/** Validates a command's argv for Windows PowerShell 5.1, which drops empty words and mangles `"`. */
export function assertArgv(field: string, value: readonly string[]): readonly string[] {
  if (value.length === 0) throw new InvalidInputError(field, 'is empty');
  value.forEach((word, index) => {
    if (typeof word !== 'string' || word.length === 0 || /["\r\n\0]/.test(word)) {
      throw new InvalidInputError(`${field}[${index}]`, 'must be a non-empty string without double quotes or line breaks');
    }
  });
  return value;
}
