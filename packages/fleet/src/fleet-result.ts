import type { CaptureResult, DeleteImageResult, ImageInfo, ImageSize, LoadResult, NodeStatusResult, PowerState, PreCaptureResult } from '@provkit/core';
import type { FleetOperation } from './fleet-operation.ts';

/**
 * The result type of each fleet operation, as it comes back through Redis (JSON: a `Date`
 * becomes an ISO string). `null` for operations that return nothing.
 */
export interface FleetResults {
  load: LoadResult;
  capture: CaptureResult;
  unload: null;
  powerOn: null;
  powerOff: null;
  powerReset: null;
  powerStatus: PowerState;
  nodeStatus: NodeStatusResult;
  getCurrentImage: string | null;
  getImageSize: ImageSize;
  doesImageExist: boolean;
  listImages: ImageInfo[];
  deleteImage: DeleteImageResult;
  retrieveImage: null;
  waitForResponse: null;
  preCapture: PreCaptureResult;
  createUser: null;
  deleteUser: null;
  setPassword: null;
  grantAccess: null;
  revokeAccess: null;
  readCurrentImage: Record<string, unknown> | null;
  shutdown: null;
  reboot: null;
}

/** The result type of operation `O`. */
export type FleetResultOf<O extends FleetOperation> = FleetResults[O];

/** One progress event of a fleet job, as published by the worker running it. */
export interface FleetProgress {
  /** 1, 2, ... per attempt: a reader skips what it has seen. */
  seq: number;
  /** BullMQ's attempt counter when it was emitted (a job taken over after a worker died has a later one). */
  attempt: number;
  /** The operation's own event; `at` is an ISO string after the trip through Redis. */
  event: { operation: string; step: string; node?: string; image?: string; detail?: string; elapsedMs: number; at: string };
}
