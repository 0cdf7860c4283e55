import { InsufficientStorageError } from '@provkit/core';
import type { StoragePool, StorageVolume } from './storage.ts';

/** What an allocation will do: reuse a free volume, or create one in a pool. */
export type StoragePlan = { kind: 'reuse'; volume: StorageVolume } | { kind: 'create'; pool: string; sizeBytes: number };

/** Bytes a pool has left: its capacity minus every volume in it, attached or not. */
export function freeBytes(pool: StoragePool, volumes: readonly StorageVolume[]): number {
  return pool.capacityBytes - volumes.filter((volume) => volume.pool === pool.id).reduce((sum, volume) => sum + volume.sizeBytes, 0);
}

/**
 * oVirt's attach-or-create, decided without side effects: a free volume of exactly the
 * size (pools in order) is reused; otherwise a new one goes in the first pool with room;
 * otherwise `InsufficientStorageError` lists what each pool had free.
 */
export function planStorage(pools: readonly StoragePool[], volumes: readonly StorageVolume[], sizeBytes: number): StoragePlan {
  for (const pool of pools) {
    const free = volumes.find((volume) => volume.pool === pool.id && volume.attachedTo === undefined && volume.sizeBytes === sizeBytes);
    if (free) return { kind: 'reuse', volume: free };
  }
  const room = pools.find((pool) => freeBytes(pool, volumes) >= sizeBytes);
  if (room) return { kind: 'create', pool: room.id, sizeBytes };
  throw new InsufficientStorageError(
    sizeBytes,
    pools.map((pool) => ({ pool: pool.id, freeBytes: freeBytes(pool, volumes) })),
  );
}
