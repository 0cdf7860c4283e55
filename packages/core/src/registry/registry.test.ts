import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnsupportedSpecificationError } from '../errors/index.ts';
import type { ProvisionerV1 } from '../contracts/index.ts';
import { ModuleRegistry } from './registry.ts';

describe('ModuleRegistry', () => {
  it('creates registered modules by name and refuses unknown names and versions', async () => {
    const registry = new ModuleRegistry();
    const made = { specificationVersion: 'v1', provider: 'dummy' } as unknown as ProvisionerV1;
    registry.registerProvisioner('dummy', () => made);
    expect(await registry.createProvisioner('dummy')).toBe(made);
    expect(registry.provisioners).toEqual(['dummy']);
    await expect(registry.createProvisioner('nope')).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => registry.registerProvisioner('dummy', () => made)).toThrow(InvalidInputError);
    registry.registerProvisioner('future', () => ({ specificationVersion: 'v9' }) as unknown as ProvisionerV1);
    await expect(registry.createProvisioner('future')).rejects.toBeInstanceOf(UnsupportedSpecificationError);
  });
});
