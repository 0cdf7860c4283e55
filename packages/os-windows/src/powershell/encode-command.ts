import { InvalidInputError } from '@provkit/core';
import type { PsFragment } from './quote.ts';

/** The words before the encoded script on every command line this module sends. */
export const POWERSHELL_PREFIX = ['powershell', '-NoProfile', '-NonInteractive', '-EncodedCommand'] as const;

/**
 * Longest command line cmd.exe accepts. Windows OpenSSH runs an exec request through the
 * default shell (`cmd.exe /c`), so an encoded script must fit in it.
 */
export const MAX_COMMAND_LINE = 8191;

/**
 * The argv that runs `script` in Windows PowerShell: `-EncodedCommand` with the script as
 * base64 of its UTF-16LE bytes. Base64 uses only letters, digits, `+`, `/` and `=`, so the
 * line needs no quoting anywhere between the SSH client and PowerShell (cmd.exe included).
 * A script that would exceed cmd.exe's line limit is refused; large data goes to stdin.
 */
export function encodeCommand(script: string | PsFragment): string[] {
  const text = typeof script === 'string' ? script : script.text;
  if (text.length === 0) throw new InvalidInputError('script', 'is empty');
  const encoded = Buffer.from(text, 'utf16le').toString('base64');
  const argv = [...POWERSHELL_PREFIX, encoded];
  const length = argv.join(' ').length;
  if (length > MAX_COMMAND_LINE) {
    throw new InvalidInputError('script', `the encoded command is ${length} characters, over cmd.exe's ${MAX_COMMAND_LINE}; pass large data on stdin`);
  }
  return argv;
}

/**
 * The script inside a command line built by {@link encodeCommand}, or `undefined` when the
 * line is not one. Used by tests and the transcript server to read what was sent.
 */
export function decodeCommand(commandLine: string | readonly string[]): string | undefined {
  const words = typeof commandLine === 'string' ? commandLine.trim().split(/\s+/) : [...commandLine];
  if (words.length !== POWERSHELL_PREFIX.length + 1) return undefined;
  if (POWERSHELL_PREFIX.some((word, index) => words[index] !== word)) return undefined;
  const encoded = words[POWERSHELL_PREFIX.length]!;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 2 !== 0) return undefined;
  return bytes.toString('utf16le');
}
