import {
  AuthenticationError,
  ImageExistsError,
  ImageNotFoundError,
  InvalidStateError,
  NodeExistsError,
  NodeNotFoundError,
  PermissionDeniedError,
  ProvkitError,
  RemoteFaultError,
  UnsupportedFunctionalityError,
} from '@provkit/core';
import type { SoapFault } from './envelope.ts';

/** What a call was about, so a fault can name the right thing. */
export interface FaultContext {
  /** The vim25 method, e.g. `CloneVM_Task`. */
  method: string;
  node?: string;
  image?: string;
  /** What the call creates: a duplicate name then means this kind exists already. */
  creates?: 'node' | 'image';
}

const NOT_FOUND = new Set(['ManagedObjectNotFound', 'NotFound', 'FileNotFound', 'VmConfigFileNotFound']);
const DUPLICATE = new Set(['DuplicateName', 'AlreadyExists', 'FileAlreadyExists']);
const INVALID_STATE = new Set(['InvalidState', 'InvalidPowerState', 'TaskInProgress', 'InvalidDatastoreState', 'ToolsUnavailable', 'VmConfigIncompatibleForPowerOff', 'ConcurrentAccess']);
const PERMISSION = new Set(['NoPermission', 'RestrictedVersion', 'NotAuthenticated', 'SecurityError']);
const UNSUPPORTED = new Set(['NotSupported', 'NotImplemented']);
/** Faults of an object busy with another task, or changed by another operation meanwhile. */
const BUSY = new Set(['TaskInProgress', 'VAppTaskInProgress', 'ConcurrentAccess']);

/**
 * Whether `error` (a typed error from {@link faultToError}, or its RemoteFaultError) is a vim25
 * fault saying the object was busy with another task (`TaskInProgress`) or changed by another
 * operation meanwhile (`ConcurrentAccess`): the same request may succeed a moment later.
 */
export function isBusyFault(error: unknown): boolean {
  const remote = ProvkitError.isInstance(error) && error.code !== 'REMOTE_FAULT' ? error.cause : error;
  return ProvkitError.isInstance(remote) && remote.code === 'REMOTE_FAULT' && BUSY.has((remote as RemoteFaultError).fault);
}

/**
 * Maps a vim25 fault to provkit's typed errors: missing objects to Node/ImageNotFoundError,
 * duplicate names to Node/ImageExistsError, state faults to InvalidStateError, permission
 * faults (including the free license's read-only API, `RestrictedVersion`) to
 * PermissionDeniedError; anything else keeps its vim25 name in RemoteFaultError.
 */
export function faultToError(fault: SoapFault, context: FaultContext): ProvkitError {
  const cause = new RemoteFaultError(fault.type, `${context.method}: ${fault.message || fault.type}`);
  const options = { cause };
  if (DUPLICATE.has(fault.type)) {
    if (context.creates === 'image' && context.image) return new ImageExistsError(context.image, undefined, options);
    if (context.creates === 'node' && context.node) return new NodeExistsError(context.node, options);
  }
  if (NOT_FOUND.has(fault.type)) {
    if (context.image && context.creates !== 'image') return new ImageNotFoundError(context.image, undefined, options);
    if (context.node) return new NodeNotFoundError(context.node, options);
  }
  if (fault.type === 'InvalidLogin') return new AuthenticationError(context.method, fault.message || 'invalid user name or password', options);
  if (INVALID_STATE.has(fault.type)) return new InvalidStateError(`${context.method}${context.node ? ` on ${context.node}` : ''}: ${fault.type}${fault.message && fault.message !== fault.type ? ` (${fault.message})` : ''}`, options);
  if (PERMISSION.has(fault.type)) return new PermissionDeniedError(`${context.method}: ${fault.type}${fault.message ? ` (${fault.message})` : ''}`, options);
  if (UNSUPPORTED.has(fault.type)) return new UnsupportedFunctionalityError(`${context.method} (${fault.type})`, 'this vSphere endpoint', options);
  return cause;
}
