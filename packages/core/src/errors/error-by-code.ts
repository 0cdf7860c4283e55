import type {
  AbortedError,
  AuthenticationError,
  ChecksumMismatchError,
  CommandFailedError,
  ConflictError,
  ConnectionError,
  HostKeyMismatchError,
  HostStorageFullError,
  ImageExistsError,
  ImageInUseError,
  ImageNotFoundError,
  InsufficientStorageError,
  InvalidEntryError,
  InvalidInputError,
  InvalidStateError,
  NodeExistsError,
  NodeNotFoundError,
  NodeNotManagedError,
  NotFoundError,
  OperationFailedError,
  PermissionDeniedError,
  RemoteFaultError,
  ResourceBusyError,
  TimeoutError,
  TlsVerificationFailedError,
  UnexpectedOutputError,
  UnsupportedFunctionalityError,
  UnsupportedSpecificationError,
} from './errors.ts';
import type { ProvkitError, ProvkitErrorCode } from './provkit-error.ts';

/**
 * The class core raises for each code (`ProvkitError` itself where core has none: the fleet's
 * codes). {@link ProvkitError.hasCode} reads the facts a code carries from here; a code missing
 * from this map does not compile.
 */
export interface ProvkitErrorByCode {
  INVALID_INPUT: InvalidInputError;
  COMMAND_FAILED: CommandFailedError;
  TIMEOUT: TimeoutError;
  ABORTED: AbortedError;
  IMAGE_NOT_FOUND: ImageNotFoundError;
  IMAGE_EXISTS: ImageExistsError;
  IMAGE_IN_USE: ImageInUseError;
  NODE_NOT_FOUND: NodeNotFoundError;
  NODE_EXISTS: NodeExistsError;
  NODE_NOT_MANAGED: NodeNotManagedError;
  INVALID_STATE: InvalidStateError;
  CONFLICT: ConflictError;
  PERMISSION_DENIED: PermissionDeniedError;
  HOST_KEY_MISMATCH: HostKeyMismatchError;
  TLS_VERIFICATION_FAILED: TlsVerificationFailedError;
  CONNECTION_FAILED: ConnectionError;
  AUTHENTICATION_FAILED: AuthenticationError;
  UNSUPPORTED_FUNCTIONALITY: UnsupportedFunctionalityError;
  UNSUPPORTED_SPECIFICATION: UnsupportedSpecificationError;
  OPERATION_FAILED: OperationFailedError;
  REMOTE_FAULT: RemoteFaultError;
  NOT_FOUND: NotFoundError;
  INVALID_ENTRY: InvalidEntryError;
  INSUFFICIENT_STORAGE: InsufficientStorageError;
  UNEXPECTED_OUTPUT: UnexpectedOutputError;
  CHECKSUM_MISMATCH: ChecksumMismatchError;
  RESOURCE_BUSY: ResourceBusyError;
  HOST_STORAGE_FULL: HostStorageFullError;
  JOB_LOST: ProvkitError;
  UNEXPECTED: ProvkitError;
}

/**
 * A provkit error with code `C`, as {@link ProvkitError.hasCode} narrows it: the facts of that
 * code's class (`field`, `step`, `exitCode`, ...) are typed but may be absent, because the
 * error may come from another copy of core (another version of the class) or be rebuilt from
 * the wire (the fleet's `FleetRemoteError`).
 */
export type ProvkitErrorWithCode<C extends ProvkitErrorCode> = C extends ProvkitErrorCode
  ? ProvkitError & { readonly code: C } & Partial<Omit<ProvkitErrorByCode[C], keyof ProvkitError>>
  : never;
