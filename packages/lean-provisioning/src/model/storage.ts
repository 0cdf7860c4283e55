import type { InventoryCallOptions } from './inventory.ts';

/** A storage pool volumes are created in, with a fixed capacity. */
export interface StoragePool {
  id: string;
  capacityBytes: number;
}

/** A volume (disk) in a storage pool; free while `attachedTo` is unset. */
export interface StorageVolume {
  id: string;
  pool: string;
  sizeBytes: number;
  /** The machine id the volume is attached to. */
  attachedTo?: string;
}

/**
 * Where volumes live. `attachVolume` is compare-and-swap: it throws `ConflictError` when the
 * volume is no longer free, so two allocations never get the same volume.
 */
export interface StorageCatalog {
  /** Pools in preference order: allocation creates in the first one with room. */
  listStoragePools(options?: InventoryCallOptions): Promise<StoragePool[]>;
  listVolumes(options?: InventoryCallOptions): Promise<StorageVolume[]>;
  createVolume(volume: { pool: string; sizeBytes: number; attachedTo: string }, options?: InventoryCallOptions): Promise<StorageVolume>;
  attachVolume(volume: string, machine: string, options?: InventoryCallOptions): Promise<StorageVolume>;
  /** Detaches a volume, leaving it free for reuse. Releasing a free or missing volume succeeds. */
  releaseVolume(volume: string, options?: InventoryCallOptions): Promise<void>;
}
