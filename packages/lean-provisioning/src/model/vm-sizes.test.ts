import { describe, expect, it } from 'vitest';
import { parseByteQuantity } from '@provkit/core';
import { parseVmSize, toSizeSpec } from './vm-size.ts';
import { parseVmSizesYaml } from './vm-sizes-yaml.ts';

describe('VM sizes from YAML', () => {
  it('reads oVirt-style sizes: memory in KiB, storage in GiB', () => {
    const sizes = parseVmSizesYaml(`
small: { cpus: 2, memory: 262144, storage_size_in_gb: 15 }
medium:
  cpus: 4
  memory: 1048576
  storage_size_in_gb: 40
`);
    expect([...sizes.keys()]).toEqual(['small', 'medium']);
    expect(sizes.get('small')).toEqual({ name: 'small', cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 });
    expect(toSizeSpec(sizes.get('medium')!)).toEqual({ cpus: 4, memoryBytes: 1_073_741_824, diskBytes: 42_949_672_960 });
  });

  it('reads explicit units', () => {
    const sizes = parseVmSizesYaml('tiny: { cpus: 1, memory: 512 MiB, disk: 1 GiB }\nbig: { cpus: 8, memory: "1.5 GiB", disk: 20GB }');
    expect(sizes.get('tiny')).toEqual({ name: 'tiny', cpus: 1, memoryBytes: 536_870_912, diskBytes: 1_073_741_824 });
    expect(sizes.get('big')).toEqual({ name: 'big', cpus: 8, memoryBytes: 1_610_612_736, diskBytes: 20_000_000_000 });
  });

  it.each([
    ['small: { cpus: 0, memory: 262144, storage_size_in_gb: 15 }', 'sizes.small.cpus'],
    ['small: { cpus: 2.5, memory: 262144, storage_size_in_gb: 15 }', 'sizes.small.cpus'],
    ['small: { cpus: 2, memory: -1, storage_size_in_gb: 15 }', 'sizes.small.memory'],
    ['small: { cpus: 2, memory: 1 gigabyte, storage_size_in_gb: 15 }', 'sizes.small.memory'],
    ['small: { cpus: 2, memory: "1024", storage_size_in_gb: 15 }', 'sizes.small.memory'],
    ['small: { cpus: 2, storage_size_in_gb: 15 }', 'sizes.small.memory'],
    ['small: { cpus: 2, memory: 262144 }', 'sizes.small.storage_size_in_gb'],
    ['small: { cpus: 2, memory: 262144, storage_size_in_gb: 15, disk: 1 GiB }', 'sizes.small.disk'],
    ['small: { cpu: 2, memory: 262144, storage_size_in_gb: 15 }', 'sizes.small.cpu'],
    ['small: { cpus: 2, memory: 99999999999999, storage_size_in_gb: 15 }', 'sizes.small.memory'],
    ['small: [1, 2]', 'sizes.small'],
    ['"bad name!": { cpus: 2, memory: 262144, storage_size_in_gb: 15 }', 'sizes.bad name! (name)'],
    ['- a\n- b', 'sizes'],
    ['small: {', 'sizes'],
  ])('refuses %j naming field %s', (yaml, field) => {
    expect(() => parseVmSizesYaml(yaml)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });

  it('parses quantities with binary and decimal units exactly', () => {
    expect(parseByteQuantity('q', '1 GiB')).toBe(1024 ** 3);
    expect(parseByteQuantity('q', '512 MiB')).toBe(512 * 1024 ** 2);
    expect(parseByteQuantity('q', '2 TB')).toBe(2e12);
    expect(parseByteQuantity('q', '4096 B')).toBe(4096);
    expect(() => parseByteQuantity('q', '0.3 B')).toThrow(/whole number/);
    expect(() => parseByteQuantity('q', '1 gib')).toThrow(/unit/);
  });

  it('takes sizes from code as well as from YAML', () => {
    expect(parseVmSize('x', { cpus: 1, memory: '256 MiB', disk: '2 GiB' }).memoryBytes).toBe(268_435_456);
  });
});
