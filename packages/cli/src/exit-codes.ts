import { ProvkitError } from '@provkit/core';

/** Exit codes of the `provkit` command, stable for scripts (docs/cli.md lists them). */
export const EXIT = {
  ok: 0,
  /** Any failure without a more specific code (a remote command failed, an unexpected error). */
  failure: 1,
  /** Bad command line or operation input (`INVALID_INPUT` from a flag or argument). */
  usage: 2,
  /** `status`: the node is not ready (post-load or reload). */
  notReady: 3,
  /** A node or image does not exist (`image exists`: it does not). */
  notFound: 4,
  /** A bounded wait or command ran out of time. */
  timeout: 5,
  /** A host presented an unexpected SSH host key or TLS certificate. */
  hostKey: 6,
  /** The image already exists (capture never overwrites). */
  exists: 7,
  /** A host could not be reached (refused, unreachable, unknown name). */
  connection: 8,
  /** A host refused the credentials or the permission. */
  authentication: 9,
  /** The configured module does not support the operation. */
  unsupported: 10,
  /** The operation conflicts with the state of the node or image (in use, busy, exists). */
  conflict: 11,
  /** A host's filesystem filled up during the operation (`HOST_STORAGE_FULL`); what it had written was removed. */
  storageFull: 12,
  /** The configuration is wrong: the file, a setting, a module package that cannot be found. */
  configuration: 78,
  /** Interrupted (Ctrl-C). */
  aborted: 130,
} as const;

/** What a code means, for `provkit --help` and docs. */
export const EXIT_MEANINGS: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'ok (status: ready; image exists: it does)'],
  [EXIT.failure, 'any other failure'],
  [EXIT.usage, 'bad command line or input'],
  [EXIT.notReady, 'status: not ready'],
  [EXIT.notFound, 'node or image not found'],
  [EXIT.timeout, 'timed out'],
  [EXIT.hostKey, 'SSH host key or TLS certificate refused'],
  [EXIT.exists, 'image exists'],
  [EXIT.connection, 'host unreachable'],
  [EXIT.authentication, 'credentials or permission refused'],
  [EXIT.unsupported, 'not supported by the configured module'],
  [EXIT.conflict, 'conflicts with the node or image state'],
  [EXIT.storageFull, "a host's filesystem is full"],
  [EXIT.configuration, 'configuration error'],
  [EXIT.aborted, 'interrupted'],
];

/**
 * The exit code for an error. `configuration` is true when the error came from reading the
 * configuration or building its modules: a bad setting is then a configuration error, not a
 * bad command line.
 */
export function exitCodeFor(error: unknown, { configuration = false }: { configuration?: boolean } = {}): number {
  const code = ProvkitError.reasonCode(error);
  if (configuration && (code === 'INVALID_INPUT' || code === 'UNSUPPORTED_SPECIFICATION' || code === undefined)) return EXIT.configuration;
  switch (code) {
    case 'INVALID_INPUT':
      return EXIT.usage;
    case 'IMAGE_NOT_FOUND':
    case 'NODE_NOT_FOUND':
    case 'NOT_FOUND':
      return EXIT.notFound;
    case 'TIMEOUT':
      return EXIT.timeout;
    case 'HOST_KEY_MISMATCH':
    case 'TLS_VERIFICATION_FAILED':
      return EXIT.hostKey;
    case 'IMAGE_EXISTS':
      return EXIT.exists;
    case 'CONNECTION_FAILED':
      return EXIT.connection;
    case 'AUTHENTICATION_FAILED':
    case 'PERMISSION_DENIED':
      return EXIT.authentication;
    case 'UNSUPPORTED_FUNCTIONALITY':
    case 'UNSUPPORTED_SPECIFICATION':
      return EXIT.unsupported;
    case 'IMAGE_IN_USE':
    case 'NODE_EXISTS':
    case 'CONFLICT':
    case 'RESOURCE_BUSY':
    case 'INVALID_STATE':
      return EXIT.conflict;
    case 'HOST_STORAGE_FULL':
      return EXIT.storageFull;
    case 'ABORTED':
      return EXIT.aborted;
    default:
      return EXIT.failure;
  }
}
