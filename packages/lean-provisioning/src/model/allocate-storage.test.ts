import { describe, expect, it } from 'vitest';
import { allocateStorage, type PermissionRequest } from './allocate-storage.ts';
import { MemoryStorageCatalog } from './memory-storage-catalog.ts';
import { planStorage } from './storage-plan.ts';

const GiB = 1024 ** 3;
const pools = [
  { id: 'pool-a', capacityBytes: 20 * GiB },
  { id: 'pool-b', capacityBytes: 100 * GiB },
];

describe('storage plan (attach-or-create)', () => {
  it('reuses a free volume of exactly the right size, even in a later pool', () => {
    const volumes = [
      { id: 'v1', pool: 'pool-a', sizeBytes: 10 * GiB },
      { id: 'v2', pool: 'pool-b', sizeBytes: 15 * GiB },
      { id: 'v3', pool: 'pool-b', sizeBytes: 15 * GiB, attachedTo: 'other' },
    ];
    expect(planStorage(pools, volumes, 15 * GiB)).toEqual({ kind: 'reuse', volume: volumes[1] });
  });

  it('does not reuse an attached volume or one of another size', () => {
    const volumes = [
      { id: 'v1', pool: 'pool-a', sizeBytes: 15 * GiB, attachedTo: 'vm-1' },
      { id: 'v2', pool: 'pool-a', sizeBytes: 16 * GiB },
    ];
    expect(planStorage(pools, volumes, 15 * GiB)).toEqual({ kind: 'create', pool: 'pool-b', sizeBytes: 15 * GiB });
  });

  it('creates in the first pool with room', () => {
    expect(planStorage(pools, [], 20 * GiB)).toEqual({ kind: 'create', pool: 'pool-a', sizeBytes: 20 * GiB });
    expect(planStorage(pools, [{ id: 'v1', pool: 'pool-a', sizeBytes: 1 }], 20 * GiB)).toEqual({ kind: 'create', pool: 'pool-b', sizeBytes: 20 * GiB });
  });

  it('fails with InsufficientStorageError listing the free bytes of every pool', () => {
    const volumes = [{ id: 'v1', pool: 'pool-b', sizeBytes: 90 * GiB, attachedTo: 'vm-1' }];
    expect(() => planStorage(pools, volumes, 25 * GiB)).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_STORAGE', sizeBytes: 25 * GiB, pools: [{ pool: 'pool-a', freeBytes: 20 * GiB }, { pool: 'pool-b', freeBytes: 10 * GiB }] }),
    );
    expect(() => planStorage([], [], 1)).toThrow(/no storage pool is available/);
  });
});

describe('allocateStorage', () => {
  const allow = () => true;

  it('asks CLOUD_CREATE on the resource pool, then attaches a free volume', async () => {
    const catalog = new MemoryStorageCatalog(pools, [{ id: 'v1', pool: 'pool-b', sizeBytes: 15 * GiB }]);
    const asked: PermissionRequest[] = [];
    const result = await allocateStorage({ catalog, sizeBytes: 15 * GiB, machine: 'vm-1', resourcePool: 'web', checkPermission: (request) => (asked.push(request), true) });
    expect(asked).toEqual([{ permission: 'CLOUD_CREATE', resourcePool: 'web', machine: 'vm-1' }]);
    expect(result).toEqual({ reused: true, volume: { id: 'v1', pool: 'pool-b', sizeBytes: 15 * GiB, attachedTo: 'vm-1' } });
  });

  it('creates a volume when none is free', async () => {
    const catalog = new MemoryStorageCatalog(pools);
    const result = await allocateStorage({ catalog, sizeBytes: 15 * GiB, machine: 'vm-1', resourcePool: 'web', checkPermission: allow });
    expect(result.reused).toBe(false);
    expect(result.volume).toMatchObject({ pool: 'pool-a', sizeBytes: 15 * GiB, attachedTo: 'vm-1' });
    expect(await catalog.listVolumes()).toHaveLength(1);
  });

  it('changes nothing when the permission is refused', async () => {
    const catalog = new MemoryStorageCatalog(pools, [{ id: 'v1', pool: 'pool-a', sizeBytes: GiB }]);
    await expect(allocateStorage({ catalog, sizeBytes: GiB, machine: 'vm-1', resourcePool: 'web', checkPermission: async () => false })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await catalog.listVolumes()).toEqual([{ id: 'v1', pool: 'pool-a', sizeBytes: GiB }]);
  });

  it('refuses bad input before asking for permission', async () => {
    const catalog = new MemoryStorageCatalog(pools);
    let asked = false;
    await expect(allocateStorage({ catalog, sizeBytes: 0, machine: 'vm-1', resourcePool: 'web', checkPermission: () => (asked = true) })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'sizeBytes' });
    expect(asked).toBe(false);
  });

  it('gives two concurrent allocations of one free volume different volumes', async () => {
    const catalog = new MemoryStorageCatalog(pools, [{ id: 'v1', pool: 'pool-a', sizeBytes: GiB }]);
    const [first, second] = await Promise.all([
      allocateStorage({ catalog, sizeBytes: GiB, machine: 'vm-1', resourcePool: 'web', checkPermission: allow }),
      allocateStorage({ catalog, sizeBytes: GiB, machine: 'vm-2', resourcePool: 'web', checkPermission: allow }),
    ]);
    expect(first.volume.id).not.toBe(second.volume.id);
    expect([first.reused, second.reused].sort()).toEqual([false, true]);
  });

  it('fails clearly when no pool has room', async () => {
    const catalog = new MemoryStorageCatalog(pools);
    await expect(allocateStorage({ catalog, sizeBytes: 200 * GiB, machine: 'vm-1', resourcePool: 'web', checkPermission: allow })).rejects.toMatchObject({ code: 'INSUFFICIENT_STORAGE' });
  });
});
