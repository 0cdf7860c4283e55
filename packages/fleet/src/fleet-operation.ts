import type { NodeSpec } from '@provkit/core';

/** Provisioner operations that act on a node. */
const NODE_PROVISIONER_OPERATIONS = ['load', 'capture', 'unload', 'powerOn', 'powerOff', 'powerReset', 'powerStatus', 'nodeStatus', 'getCurrentImage'] as const;

/** Operations a fleet worker runs on a host's provisioner. */
export const PROVISIONER_OPERATIONS = [
  ...NODE_PROVISIONER_OPERATIONS,
  'getImageSize',
  'doesImageExist',
  'listImages',
  'deleteImage',
  'retrieveImage',
] as const;

/**
 * Operations a fleet worker runs on a host's OS module. `randomizeAdminPasswords` is left
 * out on purpose: its result is passwords, and a job's result is stored in Redis.
 */
export const OS_OPERATIONS = ['waitForResponse', 'preCapture', 'createUser', 'deleteUser', 'setPassword', 'grantAccess', 'revokeAccess', 'readCurrentImage', 'shutdown', 'reboot'] as const;

/** A provisioner operation name. */
export type ProvisionerOperation = (typeof PROVISIONER_OPERATIONS)[number];
/** An OS-module operation name. */
export type OsOperation = (typeof OS_OPERATIONS)[number];
/** Any operation a fleet job can run. */
export type FleetOperation = ProvisionerOperation | OsOperation;

/** Operations that act on a node (and so take the node's lock). */
export const NODE_OPERATIONS: ReadonlySet<FleetOperation> = new Set<FleetOperation>([...NODE_PROVISIONER_OPERATIONS, ...OS_OPERATIONS]);

/** Operations that act on one image by name (and so take the image's lock when no node is involved). */
export const IMAGE_OPERATIONS: ReadonlySet<FleetOperation> = new Set<FleetOperation>(['load', 'capture', 'getImageSize', 'doesImageExist', 'deleteImage', 'retrieveImage']);

/** True when `name` is an OS-module operation. */
export function isOsOperation(name: FleetOperation): name is OsOperation {
  return (OS_OPERATIONS as readonly string[]).includes(name);
}

/** What a client asks a fleet to run. */
export interface FleetSubmission {
  /** The host (as named in the workers' configuration) whose modules run the operation. */
  host: string;
  operation: FleetOperation;
  /** The node, for node operations. */
  node?: NodeSpec;
  /** The image, for `load`, `capture` and image operations. */
  image?: string;
  /**
   * The operation's other options, as JSON (e.g. `{ size: { cpus: 2, memoryBytes: 1073741824 } }`
   * for `load`). No secret may appear here: a password is named by reference
   * (`passwordRef: 'name'`), which the worker resolves from its own configuration.
   * `signal`, `onProgress` and `osModule` are the worker's to supply.
   */
  options?: Record<string, unknown>;
  /** A repeated submission with the same key returns the same job (while it is kept). */
  idempotencyKey?: string;
  /** Attempts for retryable failures and stalls (default 3). */
  attempts?: number;
}

/** The data of a fleet job as stored in Redis (validated, JSON, no secrets). */
export interface FleetJobData {
  /** Version of this shape. */
  v: 1;
  host: string;
  operation: FleetOperation;
  node?: NodeSpec;
  image?: string;
  options: Record<string, unknown>;
  /** SHA-256 of the submission, to refuse reusing an idempotency key for another request. */
  fingerprint: string;
}
