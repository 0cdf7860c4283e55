import { ProvkitError } from '@provkit/core';

/** Exit codes of the `provkit` command, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** Any failure without a more specific code. */
  failure: 1,
  /** Bad command line, configuration or input (`INVALID_INPUT`). */
  usage: 2,
  /** `status`: the node is not ready (post-load or reload). */
  notReady: 3,
  /** A node or image does not exist. */
  notFound: 4,
  /** A bounded wait or command ran out of time. */
  timeout: 5,
  /** A host presented an unexpected SSH host key or TLS certificate. */
  hostKey: 6,
  /** The image already exists (capture never overwrites). */
  exists: 7,
  /** Interrupted (Ctrl-C). */
  aborted: 130,
} as const;

/** The exit code for an error. */
export function exitCodeFor(error: unknown): number {
  switch (ProvkitError.reasonCode(error)) {
    case 'INVALID_INPUT':
      return EXIT.usage;
    case 'IMAGE_NOT_FOUND':
    case 'NODE_NOT_FOUND':
      return EXIT.notFound;
    case 'TIMEOUT':
      return EXIT.timeout;
    case 'HOST_KEY_MISMATCH':
    case 'TLS_VERIFICATION_FAILED':
      return EXIT.hostKey;
    case 'IMAGE_EXISTS':
      return EXIT.exists;
    case 'ABORTED':
      return EXIT.aborted;
    default:
      return EXIT.failure;
  }
}
