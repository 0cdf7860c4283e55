import { ConflictError, InvalidInputError, NotFoundError, throwIfAborted } from '@provkit/core';
import type { InventoryCallOptions } from './inventory.ts';
import { generateId } from './record-input.ts';
import type { StorageCatalog, StoragePool, StorageVolume } from './storage.ts';
import { freeBytes } from './storage-plan.ts';

/** A {@link StorageCatalog} in memory: pools in the order given, volumes as created. */
export class MemoryStorageCatalog implements StorageCatalog {
  readonly #pools: StoragePool[];
  readonly #volumes = new Map<string, StorageVolume>();

  constructor(pools: readonly StoragePool[], volumes: readonly StorageVolume[] = []) {
    this.#pools = pools.map((pool) => ({ ...pool }));
    for (const volume of volumes) this.#volumes.set(volume.id, { ...volume });
  }

  async listStoragePools(options: InventoryCallOptions = {}): Promise<StoragePool[]> {
    throwIfAborted(options.signal, 'listStoragePools');
    return this.#pools.map((pool) => ({ ...pool }));
  }

  async listVolumes(options: InventoryCallOptions = {}): Promise<StorageVolume[]> {
    throwIfAborted(options.signal, 'listVolumes');
    return [...this.#volumes.values()].map((volume) => ({ ...volume }));
  }

  async createVolume(volume: { pool: string; sizeBytes: number; attachedTo: string }, options: InventoryCallOptions = {}): Promise<StorageVolume> {
    throwIfAborted(options.signal, 'createVolume');
    const pool = this.#pools.find((candidate) => candidate.id === volume.pool);
    if (!pool) throw new NotFoundError('storage pool', volume.pool);
    if (freeBytes(pool, [...this.#volumes.values()]) < volume.sizeBytes) throw new InvalidInputError('volume.sizeBytes', `storage pool ${pool.id} has no room for ${volume.sizeBytes} bytes`);
    const created: StorageVolume = { id: generateId(), ...volume };
    this.#volumes.set(created.id, created);
    return { ...created };
  }

  async attachVolume(id: string, machine: string, options: InventoryCallOptions = {}): Promise<StorageVolume> {
    throwIfAborted(options.signal, 'attachVolume');
    const volume = this.#volumes.get(id);
    if (!volume) throw new NotFoundError('volume', id);
    if (volume.attachedTo !== undefined) throw new ConflictError(`Volume ${id} is already attached to ${volume.attachedTo}`);
    volume.attachedTo = machine;
    return { ...volume };
  }

  async releaseVolume(id: string, options: InventoryCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'releaseVolume');
    const volume = this.#volumes.get(id);
    if (volume) delete volume.attachedTo;
  }
}
