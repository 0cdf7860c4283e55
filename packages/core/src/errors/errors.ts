import { ProvkitError, type ProvkitErrorOptions } from './provkit-error.ts';
import type { PowerState } from '../contracts/provisioner/v1/status.ts';

/** A value the caller passed is not acceptable; thrown before any side effect. */
export class InvalidInputError extends ProvkitError {
  /** The option or field that was refused, e.g. `node.name`. */
  readonly field: string;
  constructor(field: string, message: string, options?: ProvkitErrorOptions) {
    super('INVALID_INPUT', `Invalid ${field}: ${message}`, options);
    this.name = 'InvalidInputError';
    this.field = field;
  }
}

/** Facts about a command that exited unsuccessfully. */
export interface CommandFailure {
  /** The command line as run, with secrets redacted. */
  command: string;
  /** Where it ran, e.g. `root@10.0.0.5:22` or `local`. */
  target: string;
  exitCode: number | null;
  signal?: string | null;
  /** The last lines of standard error, secrets redacted. */
  stderrTail: string;
}

/** A command exited non-zero (or was killed by a signal). */
export class CommandFailedError extends ProvkitError {
  readonly command: string;
  readonly target: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  constructor(failure: CommandFailure, options?: ProvkitErrorOptions) {
    const how = failure.exitCode === null ? `was killed by ${failure.signal ?? 'a signal'}` : `exited ${failure.exitCode}`;
    const tail = failure.stderrTail ? `: ${failure.stderrTail}` : '';
    super('COMMAND_FAILED', `Command on ${failure.target} ${how}: ${failure.command}${tail}`, options);
    this.name = 'CommandFailedError';
    this.command = failure.command;
    this.target = failure.target;
    this.exitCode = failure.exitCode;
    this.signal = failure.signal ?? null;
    this.stderrTail = failure.stderrTail;
  }
}

/** A bounded wait or a command ran past its deadline. */
export class TimeoutError extends ProvkitError {
  /** What was awaited, e.g. `SSH on node web-1`. */
  readonly awaited: string;
  /** The last state seen before giving up, when known. */
  readonly lastState: string | undefined;
  readonly timeoutMs: number;
  constructor(awaited: string, timeoutMs: number, lastState?: string, options?: ProvkitErrorOptions) {
    const last = lastState === undefined ? '' : ` (last state: ${lastState})`;
    super('TIMEOUT', `Timed out after ${timeoutMs} ms waiting for ${awaited}${last}`, { isRetryable: true, ...options });
    this.name = 'TimeoutError';
    this.awaited = awaited;
    this.lastState = lastState;
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's `AbortSignal` fired. */
export class AbortedError extends ProvkitError {
  constructor(what: string, options?: ProvkitErrorOptions) {
    super('ABORTED', `Aborted: ${what}`, options);
    this.name = 'AbortedError';
  }
}

/** The named image is not in the library. */
export class ImageNotFoundError extends ProvkitError {
  readonly image: string;
  constructor(image: string, where?: string, options?: ProvkitErrorOptions) {
    super('IMAGE_NOT_FOUND', `Image ${image} not found${where ? ` in ${where}` : ''}`, options);
    this.name = 'ImageNotFoundError';
    this.image = image;
  }
}

/** An image of that name already exists; captures never overwrite. */
export class ImageExistsError extends ProvkitError {
  readonly image: string;
  constructor(image: string, where?: string, options?: ProvkitErrorOptions) {
    super('IMAGE_EXISTS', `Image ${image} already exists${where ? ` in ${where}` : ''}`, options);
    this.name = 'ImageExistsError';
    this.image = image;
  }
}

/** The image is still used (for instance as the backing file of a node's overlay). */
export class ImageInUseError extends ProvkitError {
  readonly image: string;
  readonly usedBy: readonly string[];
  constructor(image: string, usedBy: readonly string[], options?: ProvkitErrorOptions) {
    super('IMAGE_IN_USE', `Image ${image} is in use by ${usedBy.join(', ')}`, options);
    this.name = 'ImageInUseError';
    this.image = image;
    this.usedBy = usedBy;
  }
}

/** The named node (domain, VM) does not exist on the host. */
export class NodeNotFoundError extends ProvkitError {
  readonly node: string;
  constructor(node: string, options?: ProvkitErrorOptions) {
    super('NODE_NOT_FOUND', `Node ${node} not found`, options);
    this.name = 'NodeNotFoundError';
    this.node = node;
  }
}

/** A node of that name already exists and the operation would replace it. */
export class NodeExistsError extends ProvkitError {
  readonly node: string;
  constructor(node: string, options?: ProvkitErrorOptions) {
    super('NODE_EXISTS', `Node ${node} already exists`, options);
    this.name = 'NodeExistsError';
    this.node = node;
  }
}

/**
 * A node of that name exists on the host but provkit did not create it (no provkit marker on
 * the domain / VM): provkit never replaces, powers or removes it.
 */
export class NodeNotManagedError extends ProvkitError {
  readonly node: string;
  constructor(node: string, options?: ProvkitErrorOptions) {
    super('NODE_NOT_MANAGED', `Node ${node} exists but was not created by provkit; it is left untouched`, options);
    this.name = 'NodeNotManagedError';
    this.node = node;
  }
}

/** The object is in a state that does not allow the operation (e.g. a ready-for-use template being started). */
export class InvalidStateError extends ProvkitError {
  constructor(message: string, options?: ProvkitErrorOptions) {
    super('INVALID_STATE', message, options);
    this.name = 'InvalidStateError';
  }
}

/** A concurrent change won: compare-and-swap failed. Retry after re-reading. */
export class ConflictError extends ProvkitError {
  constructor(message: string, options?: ProvkitErrorOptions) {
    super('CONFLICT', message, { isRetryable: true, ...options });
    this.name = 'ConflictError';
  }
}

/**
 * Another operation holds the lock on a node or image (possibly another process or orchestrator
 * on the same host) and did not let go within the wait's bound. Retry later.
 */
export class ResourceBusyError extends ProvkitError {
  /** What was locked, e.g. `node web-1` or `image centos-v3`. */
  readonly resource: string;
  /** How long the operation waited for it. */
  readonly waitedMs: number;
  constructor(resource: string, waitedMs: number, options?: ProvkitErrorOptions) {
    super('RESOURCE_BUSY', `${resource} is locked by another operation; not free within ${waitedMs} ms`, { isRetryable: true, ...options });
    this.name = 'ResourceBusyError';
    this.resource = resource;
    this.waitedMs = waitedMs;
  }
}

/** The remote side refused the operation for lack of permission. */
export class PermissionDeniedError extends ProvkitError {
  constructor(message: string, options?: ProvkitErrorOptions) {
    super('PERMISSION_DENIED', message, options);
    this.name = 'PermissionDeniedError';
  }
}

/** The SSH server presented a host key that does not match the expected one. */
export class HostKeyMismatchError extends ProvkitError {
  readonly host: string;
  /** What was expected (fingerprints), or `unknown host` when no key is on record. */
  readonly expected: string;
  /** SHA256 fingerprint of the key the server offered. */
  readonly actual: string;
  constructor(host: string, expected: string, actual: string, options?: ProvkitErrorOptions) {
    super('HOST_KEY_MISMATCH', `Host key of ${host} is ${actual}, expected ${expected}; refusing to connect`, options);
    this.name = 'HostKeyMismatchError';
    this.host = host;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A TLS peer (an HTTPS endpoint such as vCenter or ESXi) presented a certificate provkit does
 * not trust: not signed by the configured or system CAs, issued for another name, or not the
 * pinned one. Not retryable: the same certificate would be refused again.
 */
export class TlsVerificationFailedError extends ProvkitError {
  readonly host: string;
  /** What was expected: `a certificate trusted by the configured CAs`, or the pinned fingerprint. */
  readonly expected: string;
  /** What the server offered: the verification failure (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`) or the certificate's fingerprint. */
  readonly actual: string;
  constructor(host: string, expected: string, actual: string, options?: ProvkitErrorOptions) {
    super('TLS_VERIFICATION_FAILED', `TLS certificate of ${host} is ${actual}, expected ${expected}; refusing to connect`, options);
    this.name = 'TlsVerificationFailedError';
    this.host = host;
    this.expected = expected;
    this.actual = actual;
  }
}

/** True when `error` (or a cause under it) says a host name does not exist: trying again will not help. */
function isUnknownHostName(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if ((current as { code?: unknown }).code === 'ENOTFOUND') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A connection to a host could not be made or was lost. Retryable by default (a node still
 * booting refuses, then answers), except for a host name that does not resolve (`ENOTFOUND`).
 */
export class ConnectionError extends ProvkitError {
  readonly host: string;
  constructor(host: string, message: string, options?: ProvkitErrorOptions) {
    super('CONNECTION_FAILED', `Connection to ${host} failed: ${message}`, { isRetryable: !isUnknownHostName(options?.cause), ...options });
    this.name = 'ConnectionError';
    this.host = host;
  }
}

/** The host refused the credentials. */
export class AuthenticationError extends ProvkitError {
  readonly host: string;
  constructor(host: string, message: string, options?: ProvkitErrorOptions) {
    super('AUTHENTICATION_FAILED', `Authentication to ${host} failed: ${message}`, options);
    this.name = 'AuthenticationError';
    this.host = host;
  }
}

/** The module does not support what was asked (a missing capability). */
export class UnsupportedFunctionalityError extends ProvkitError {
  readonly functionality: string;
  constructor(functionality: string, by?: string, options?: ProvkitErrorOptions) {
    super('UNSUPPORTED_FUNCTIONALITY', `${functionality} is not supported${by ? ` by ${by}` : ''}`, options);
    this.name = 'UnsupportedFunctionalityError';
    this.functionality = functionality;
  }
}

/** A module implements a contract version this copy of core does not know. */
export class UnsupportedSpecificationError extends ProvkitError {
  readonly specificationVersion: string;
  constructor(kind: string, specificationVersion: string, options?: ProvkitErrorOptions) {
    super('UNSUPPORTED_SPECIFICATION', `Unsupported ${kind} specification version "${specificationVersion}"`, options);
    this.name = 'UnsupportedSpecificationError';
    this.specificationVersion = specificationVersion;
  }
}

/**
 * A multi-step operation (load, capture, ...) failed at a named step. `cause` holds the
 * underlying error; `cleanup` says what was undone, and `cleanupError` a failure while undoing.
 */
export class OperationFailedError extends ProvkitError {
  readonly operation: string;
  readonly step: string;
  readonly cleanupError: unknown;
  constructor(operation: string, step: string, cause: unknown, cleanupError?: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const cleanup = cleanupError === undefined ? '' : `; cleanup also failed: ${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)}`;
    super('OPERATION_FAILED', `${operation} failed at step ${step}: ${reason}${cleanup}`, {
      cause,
      isRetryable: ProvkitError.isInstance(cause) ? cause.isRetryable : false,
    });
    this.name = 'OperationFailedError';
    this.operation = operation;
    this.step = step;
    this.cleanupError = cleanupError;
  }
}

/**
 * What a failed capture left the node as, read from the host after the failure (not assumed
 * from the step that failed), so the caller knows what a retry will meet.
 */
export interface CaptureNodeState {
  /** The node's power state as the host reports it after the failure; `absent` when it is no longer defined, `unknown` when the host could not be asked. */
  power: PowerState | 'absent';
  /**
   * `yes`: generalized and shut down for this capture, its disk untouched since (a retry copies
   * the disk without generalizing again); `partly`: generalization started and did not finish
   * (a retry boots the node and generalizes it again); `no`: generalization never started;
   * `unknown`: the host could not be asked.
   */
  generalized: 'yes' | 'partly' | 'no' | 'unknown';
}

/**
 * A capture failed at a named step (an {@link OperationFailedError}, code `OPERATION_FAILED`),
 * carrying the node's real state afterwards in {@link CaptureFailedError.nodeState} and in
 * its message. A plain retry of the same capture is meant to converge from any of these states.
 */
export class CaptureFailedError extends OperationFailedError {
  /** The node that was being captured. */
  readonly node: string;
  /** The node's state after the failure, read from the host. */
  readonly nodeState: CaptureNodeState;
  constructor(node: string, step: string, cause: unknown, nodeState: CaptureNodeState, cleanupError?: unknown) {
    super('capture', step, cause, cleanupError);
    this.name = 'CaptureFailedError';
    this.node = node;
    this.nodeState = nodeState;
    this.message += `. Node ${node} is now ${describeCaptureNodeState(nodeState)}`;
  }
}

function describeCaptureNodeState(state: CaptureNodeState): string {
  const power = state.power === 'absent' ? 'no longer defined' : state.power === 'unknown' ? 'in a power state the host did not report' : `powered ${state.power === 'suspended' ? 'on (suspended)' : state.power}`;
  const generalized = {
    yes: 'generalized and shut down for capture (a retry copies its disk without generalizing again)',
    partly: 'partly generalized (a retry boots it and generalizes it again)',
    no: 'not generalized',
    unknown: 'of unknown generalization',
  }[state.generalized];
  return `${power}, ${generalized}`;
}

/** The remote API answered with a fault provkit has no specific class for. */
export class RemoteFaultError extends ProvkitError {
  /** The fault's own name, e.g. a vim25 fault type or an LDAP result code. */
  readonly fault: string;
  constructor(fault: string, message: string, options?: ProvkitErrorOptions) {
    super('REMOTE_FAULT', `${fault}: ${message}`, options);
    this.name = 'RemoteFaultError';
    this.fault = fault;
  }
}

/** An inventory (LDAP directory, in-memory store) has no object of that kind and id. */
export class NotFoundError extends ProvkitError {
  /** What was looked for, e.g. `template`, `pool`. */
  readonly kind: string;
  readonly id: string;
  constructor(kind: string, id: string, options?: ProvkitErrorOptions) {
    super('NOT_FOUND', `No ${kind} ${id}`, options);
    this.name = 'NotFoundError';
    this.kind = kind;
    this.id = id;
  }
}

/** A stored entry cannot be read as what it claims to be (a missing or malformed attribute). */
export class InvalidEntryError extends ProvkitError {
  /** The entry, e.g. its LDAP DN. */
  readonly entry: string;
  /** The attribute or field at fault. */
  readonly field: string;
  constructor(entry: string, field: string, message: string, options?: ProvkitErrorOptions) {
    super('INVALID_ENTRY', `Entry ${entry} has an invalid ${field}: ${message}`, options);
    this.name = 'InvalidEntryError';
    this.entry = entry;
    this.field = field;
  }
}

/** No storage pool has room for a new volume of the requested size. */
export class InsufficientStorageError extends ProvkitError {
  readonly sizeBytes: number;
  /** The pools that were considered, with the bytes each had free. */
  readonly pools: readonly { pool: string; freeBytes: number }[];
  constructor(sizeBytes: number, pools: readonly { pool: string; freeBytes: number }[], options?: ProvkitErrorOptions) {
    const seen = pools.length === 0 ? 'no storage pool is available' : `free: ${pools.map((p) => `${p.pool} ${p.freeBytes}`).join(', ')}`;
    super('INSUFFICIENT_STORAGE', `No storage pool has room for a volume of ${sizeBytes} bytes (${seen})`, options);
    this.name = 'InsufficientStorageError';
    this.sizeBytes = sizeBytes;
    this.pools = pools;
  }
}

/**
 * A host's filesystem ran out of space while provkit wrote a file there (`No space left on
 * device` from `qemu-img`, `cp`, ...). Unlike {@link InsufficientStorageError} (no pool was
 * chosen because none had room), the write was tried and the filesystem filled up. The
 * operation that raises it removes what the write had made; retrying helps only once space
 * has been freed, so it is not retryable by default.
 */
export class HostStorageFullError extends ProvkitError {
  /** Where the write ran, e.g. `user@host:22` or `local`. */
  readonly target: string;
  /** The file being written when the filesystem filled up. */
  readonly path: string;
  constructor(target: string, path: string, options?: ProvkitErrorOptions) {
    super('HOST_STORAGE_FULL', `No space left on the filesystem of ${path} on ${target}`, options);
    this.name = 'HostStorageFullError';
    this.target = target;
    this.path = path;
  }
}

/** A host tool (virsh, qemu-img, vim-cmd, ...) printed something provkit cannot read. */
export class UnexpectedOutputError extends ProvkitError {
  /** The tool and subcommand, e.g. `virsh dominfo`. */
  readonly tool: string;
  /** The start of what it printed (at most 200 characters). */
  readonly output: string;
  constructor(tool: string, output: string, detail?: string, options?: ProvkitErrorOptions) {
    const excerpt = output.slice(0, 200);
    super('UNEXPECTED_OUTPUT', `${tool} printed output provkit cannot read${detail ? ` (${detail})` : ''}: ${JSON.stringify(excerpt)}`, options);
    this.name = 'UnexpectedOutputError';
    this.tool = tool;
    this.output = excerpt;
  }
}

/** A copied file's checksum differs from its source's: the copy is not trusted and was not kept. */
export class ChecksumMismatchError extends ProvkitError {
  readonly what: string;
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, options?: ProvkitErrorOptions) {
    super('CHECKSUM_MISMATCH', `checksum mismatch copying ${what}: source ${expected}, copy ${actual}`, { isRetryable: true, ...options });
    this.name = 'ChecksumMismatchError';
    this.what = what;
    this.expected = expected;
    this.actual = actual;
  }
}
