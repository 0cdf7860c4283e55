import { describe, it } from 'vitest';
import { inventorySuite } from './inventory-suite.ts';
import { MemoryInventory } from '@provkit/lean-provisioning';

inventorySuite('MemoryInventory', { describe, it }, async () => {
  const inventory = new MemoryInventory();
  return {
    inventory,
    corruptTemplateMode: async (id, mode) => inventory.corruptTemplateMode(id, mode),
    rawTemplateMode: async (id) => inventory.rawTemplateMode(id),
  };
});
