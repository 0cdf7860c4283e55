import { InvalidInputError, describeValue } from '@provkit/core';

/**
 * Local Windows account names this module accepts: 1-20 characters (the SAM limit) of
 * letters, digits, `_`, `-` and `.`, not starting with `.` or `-` and not ending with `.`.
 * Stricter than Windows, so a name is safe in any script, path or log.
 */
export const WINDOWS_USERNAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$/;

/**
 * Validates a local Windows user name and returns it. Beyond the pattern: no trailing dot, and
 * no `..` anywhere (Windows would take `a..b`, but the name becomes a profile path under
 * `C:\Users`, and provkit keeps `..` out of every name).
 */
export function checkWindowsUsername(field: string, value: unknown): string {
  if (typeof value !== 'string' || !WINDOWS_USERNAME_PATTERN.test(value) || value.endsWith('.') || value.includes('..')) {
    throw new InvalidInputError(field, `${describeValue(value)} is not a valid Windows user name (${WINDOWS_USERNAME_PATTERN.source})`);
  }
  return value;
}

/** Validates a NetBIOS computer name (1-15 letters, digits, `-`, not all digits). */
export function checkComputerName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^(?![0-9]+$)[A-Za-z0-9-]{1,15}$/.test(value) || value.startsWith('-')) {
    throw new InvalidInputError(field, `${describeValue(value)} is not a computer name of 1-15 letters, digits and "-"`);
  }
  return value;
}

/** Validates an absolute Windows path on a drive (`C:\...`) without `..` segments, control or reserved characters. */
export function checkWindowsPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z]:\\[^<>:"/|?*\u0000-\u001f\u007f-\u009f]{1,240}$/.test(value) || value.split('\\').includes('..')) {
    throw new InvalidInputError(field, `${describeValue(value)} is not an absolute Windows path like C:\\folder\\file`);
  }
  return value;
}

/**
 * Validates a password for a Windows account without ever printing it: it must fit on one
 * line (stdin carries it), contain no NUL and not be empty.
 */
export function checkWindowsPassword(field: string, value: string): void {
  // An empty password leaves the account open to anyone who can reach a local logon.
  if (value === '') throw new InvalidInputError(field, 'must not be empty');
  if (/[\r\n\0]/.test(value)) throw new InvalidInputError(field, 'must not contain line breaks or NUL');
}

/** Validates a command's argv for Windows PowerShell 5.1, which drops empty words and mangles `"`. */
export function checkArgv(field: string, value: readonly string[]): readonly string[] {
  if (value.length === 0) throw new InvalidInputError(field, 'is empty');
  value.forEach((word, index) => {
    if (typeof word !== 'string' || word.length === 0 || /["\r\n\0]/.test(word)) {
      throw new InvalidInputError(`${field}[${index}]`, 'must be a non-empty string without double quotes or line breaks');
    }
  });
  return value;
}

/**
 * Validates a Windows path that also goes into a `cmd.exe` command line (the answer file's own
 * clean-up step): besides {@link checkWindowsPath}, no `%` (cmd.exe expands `%VAR%` even
 * inside quotes, so the clean-up would miss the file and every clone kept the answer file
 * with its encoded password), no `!` (delayed expansion) and no other cmd metacharacter.
 */
export function checkCmdSafeWindowsPath(field: string, value: unknown): string {
  const path = checkWindowsPath(field, value);
  if (/[%!^&()<>|"]/.test(path)) throw new InvalidInputError(field, `${describeValue(path)} contains a character cmd.exe treats specially (% ! ^ & ( ) < > | ")`);
  return path;
}
