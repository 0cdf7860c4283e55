import type { TemplateRecord, VmRecord } from '@provkit/lean-provisioning';
import { describe, expect, it } from 'vitest';
import { diskEntry, parsePool, parseTemplate, parseVm, poolEntry, templateEntry, vmEntry } from './stoney-entries.ts';
import { StoneyLayout } from './stoney-layout.ts';

const layout = new StoneyLayout('dc=provkit,dc=test');
const template: TemplateRecord = {
  id: '3f2a91c0-1111-4222-8333-444455556666',
  kind: 'template',
  displayName: 'Debian 12 small',
  pool: 'a0a0a0a0-1111-4222-8333-444455556666',
  node: 'kvm-host-1',
  profile: 'debian12-small',
  hardware: { cpus: 2, memoryBytes: 268_435_456, diskBytes: 16_106_127_360 },
  os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
  clockOffset: 'utc',
  mode: 'ready for use',
  image: 'debian12-small-v1',
};
const { profile: _profile, mode: _mode, ...machine } = template;
const vm: VmRecord = {
  ...machine,
  id: 'b1b1b1b1-1111-4222-8333-444455556666',
  kind: 'persistent',
  displayName: 'vm-b1b1b1b1',
  template: template.id,
  type: 'Server',
  softwareStack: 'LAMP',
  environment: 'production',
  reseller: '4000000',
  customer: '4000001',
};

/** ldapts hands back single values as strings and several as arrays. */
function asSearchEntry(dn: string, attributes: Record<string, string[]>) {
  return { dn, ...Object.fromEntries(Object.entries(attributes).map(([key, values]) => [key, values.length === 1 ? values[0]! : values])) };
}

describe('stoney cloud entries', () => {
  it('lays out DNs as stoney cloud does', () => {
    expect(layout.machine(template.id)).toBe(`sstVirtualMachine=${template.id},ou=virtual machines,ou=virtualization,ou=services,dc=provkit,dc=test`);
    expect(layout.disk(template.id)).toBe(`sstDisk=vda,ou=devices,sstVirtualMachine=${template.id},ou=virtual machines,ou=virtualization,ou=services,dc=provkit,dc=test`);
    expect(layout.pool(template.pool)).toBe(`sstVirtualMachinePool=${template.pool},ou=virtual machine pools,ou=virtualization,ou=services,dc=provkit,dc=test`);
    expect(layout.machineOf(layout.disk(template.id))).toBe(template.id);
  });

  it('writes every MUST attribute of sstVirtualizationVirtualMachine, memory in bytes', () => {
    const entry = templateEntry(template);
    for (const must of ['sstClockOffset', 'sstDisplayName', 'sstMemory', 'sstNode', 'sstOnCrash', 'sstOnPowerOff', 'sstOnReboot', 'sstOSArchitecture', 'sstOSBootDevice', 'sstOSMachine', 'sstOSType', 'sstStatus', 'sstType', 'sstVCPU', 'sstVirtualMachine', 'sstVirtualMachinePool']) {
      expect(entry[must], must).toHaveLength(1);
    }
    expect(entry.sstMemory).toEqual(['268435456']);
    expect(entry.sstVirtualMachineMode).toEqual(['ready for use']);
    expect(diskEntry(template)).toMatchObject({ sstVolumeCapacity: ['16106127360'], sstSourceName: ['debian12-small-v1'] });
  });

  it('reads back what it writes', () => {
    const disk = asSearchEntry(layout.disk(template.id), diskEntry(template));
    const { record, storedMode } = parseTemplate(asSearchEntry(layout.machine(template.id), templateEntry(template)), disk);
    expect({ ...record, mode: storedMode }).toEqual(template);
    expect(parseVm(asSearchEntry(layout.machine(vm.id), vmEntry(vm)), asSearchEntry(layout.disk(vm.id), diskEntry(vm)))).toEqual(vm);
    const pool = { id: template.pool, displayName: 'web', type: 'persistent' };
    expect(parsePool(asSearchEntry(layout.pool(pool.id), poolEntry(pool)))).toEqual(pool);
  });

  it.each([
    ['sstMemory', ['12abc'], 'sstMemory'],
    ['sstMemory', [], 'sstMemory'],
    ['sstVCPU', ['1', '2'], 'sstVCPU'],
    ['description', ['free text'], 'description'],
    ['sstClockOffset', ['timezone'], 'sstClockOffset'],
  ])('refuses an entry with %s=%j as InvalidEntryError', (attribute, values, field) => {
    const attributes = { ...templateEntry(template), [attribute]: values };
    if (values.length === 0) delete attributes[attribute];
    expect(() => parseTemplate(asSearchEntry(layout.machine(template.id), attributes), asSearchEntry(layout.disk(template.id), diskEntry(template)))).toThrow(
      expect.objectContaining({ code: 'INVALID_ENTRY', field, entry: layout.machine(template.id) }),
    );
  });

  it('refuses a machine without its disk entry', () => {
    expect(() => parseTemplate(asSearchEntry(layout.machine(template.id), templateEntry(template)), undefined)).toThrow(expect.objectContaining({ code: 'INVALID_ENTRY', field: 'sstDisk=vda' }));
  });
});
