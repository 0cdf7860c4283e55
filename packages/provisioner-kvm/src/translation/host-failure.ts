import { ProvkitError } from '@provkit/core';

/**
 * What a failed host command's error output means, for the failures provkit gives codes of
 * their own (pure: unit-tested against the tools' real messages).
 */

/** `qemu-img`, `cp`, `ln`, `sync`: the filesystem being written is full (ENOSPC). */
export function isNoSpaceLeft(stderr: string): boolean {
  return /No space left on device|\bENOSPC\b/i.test(stderr);
}

/**
 * The host said `path` does not exist (`qemu-img`: "Could not open '<path>': No such file or
 * directory"; coreutils: "<path>: No such file or directory"). Only a message naming `path`
 * counts: a missing backing file or directory elsewhere is another failure.
 */
export function isNoSuchFile(stderr: string, path: string): boolean {
  return stderr.split('\n').some((line) => line.includes(path) && /No such file or directory|\bENOENT\b/.test(line) && line.lastIndexOf(path) < line.search(/No such file or directory|\bENOENT\b/));
}

/**
 * Whether `error` is a failed command that exited `code` saying `marker` on stderr: how a
 * command provkit wrote reports a refusal of its own (a busy lock, a missing image).
 */
export function isCommandFailure(error: unknown, code: number, marker: string): boolean {
  return ProvkitError.hasCode(error, 'COMMAND_FAILED') && error.exitCode === code && (error.stderrTail ?? '').includes(marker);
}
