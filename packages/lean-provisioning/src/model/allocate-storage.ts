import { PermissionDeniedError, ProvkitError, checkName, checkPositiveInteger, throwIfAborted } from '@provkit/core';
import type { StorageCatalog, StorageVolume } from './storage.ts';
import { planStorage } from './storage-plan.ts';

/** The permission oVirt requires on a resource pool to create resources in it. */
export type CloudPermission = 'CLOUD_CREATE';

/** What the orchestrator is asked to allow. */
export interface PermissionRequest {
  permission: CloudPermission;
  /** The resource (VM) pool the volume is for. */
  resourcePool: string;
  /** The machine the volume is for. */
  machine: string;
}

/** Supplied by the orchestrator: true to allow. Checked before any change. */
export type PermissionCheck = (request: PermissionRequest) => boolean | Promise<boolean>;

/** Options of {@link allocateStorage}. */
export interface AllocateStorageOptions {
  catalog: StorageCatalog;
  sizeBytes: number;
  machine: string;
  resourcePool: string;
  checkPermission: PermissionCheck;
  signal?: AbortSignal;
}

/** Result of {@link allocateStorage}. */
export interface AllocatedStorage {
  volume: StorageVolume;
  reused: boolean;
}

/** How often a lost race for a free volume is retried with a fresh plan. */
const MAX_ATTEMPTS = 3;

/**
 * Attach-or-create across storage pools (see {@link planStorage}), after asking
 * `checkPermission` for `CLOUD_CREATE` on the resource pool. A refused permission throws
 * `PermissionDeniedError` with nothing changed; a free volume taken by a concurrent
 * allocation makes it plan again.
 */
export async function allocateStorage(options: AllocateStorageOptions): Promise<AllocatedStorage> {
  checkPositiveInteger('sizeBytes', options.sizeBytes);
  checkName('machine', options.machine);
  checkName('resourcePool', options.resourcePool);
  const call = options.signal ? { signal: options.signal } : {};
  throwIfAborted(options.signal, 'storage allocation');
  const allowed = await options.checkPermission({ permission: 'CLOUD_CREATE', resourcePool: options.resourcePool, machine: options.machine });
  if (allowed !== true) throw new PermissionDeniedError(`CLOUD_CREATE on resource pool ${options.resourcePool} was refused for ${options.machine}`);
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal, 'storage allocation');
    const [pools, volumes] = await Promise.all([options.catalog.listStoragePools(call), options.catalog.listVolumes(call)]);
    const plan = planStorage(pools, volumes, options.sizeBytes);
    if (plan.kind === 'create') {
      const volume = await options.catalog.createVolume({ pool: plan.pool, sizeBytes: plan.sizeBytes, attachedTo: options.machine }, call);
      return { volume, reused: false };
    }
    try {
      return { volume: await options.catalog.attachVolume(plan.volume.id, options.machine, call), reused: true };
    } catch (error) {
      if (!ProvkitError.hasCode(error, 'CONFLICT') || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

