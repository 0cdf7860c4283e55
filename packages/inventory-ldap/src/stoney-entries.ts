import { InvalidEntryError } from '@provkit/core';
import type { MachineRecord, PoolRecord, TemplateRecord, VmRecord } from '@provkit/lean-provisioning';
import type { Entry } from 'ldapts';

/** Attributes of an entry to add, each with its values as text. */
export type LdapAttributes = Record<string, string[]>;

/** stoney cloud's `sstVirtualMachineType` of the machines the inventory keeps. */
export const MachineType = { Template: 'template', Persistent: 'persistent' } as const;

/** The sub type stoney cloud gives templates. */
const TEMPLATE_SUB_TYPE = 'VM-Template';

/**
 * Values the schema requires of every `sstVirtualizationVirtualMachine` that provkit's model
 * does not carry: a KVM guest that boots from its disk, stays off until started, and
 * libvirt's usual reactions to power events.
 */
const MACHINE_DEFAULTS: LdapAttributes = {
  sstType: ['kvm'],
  sstOSType: ['hvm'],
  sstOSArchitecture: ['x86_64'],
  sstOSMachine: ['pc'],
  sstOSBootDevice: ['hd'],
  sstOnCrash: ['destroy'],
  sstOnPowerOff: ['destroy'],
  sstOnReboot: ['restart'],
  sstStatus: ['shutdown'],
};

/**
 * The links stoney cloud's schema has no attribute for are kept in `description` with a
 * fixed prefix: a template's profile and a VM's template.
 */
const PROFILE_PREFIX = 'provkit-profile:';
const TEMPLATE_PREFIX = 'provkit-template:';

function machineAttributes(record: MachineRecord, type: string, subType: string, description: string): LdapAttributes {
  return {
    ...MACHINE_DEFAULTS,
    sstVirtualMachine: [record.id],
    sstDisplayName: [record.displayName],
    sstVirtualMachinePool: [record.pool],
    sstNode: [record.node],
    sstVCPU: [String(record.hardware.cpus)],
    sstMemory: [String(record.hardware.memoryBytes)],
    sstClockOffset: [record.clockOffset],
    sstVirtualMachineType: [type],
    sstVirtualMachineSubType: [subType],
    sstOperatingSystem: [record.os.operatingSystem],
    sstOperatingSystemType: [record.os.type],
    sstOperatingSystemVersion: [record.os.version],
    description: [description],
  };
}

/** The template's entry (`sstVirtualizationVirtualMachine` with its OS facts). */
export function templateEntry(record: TemplateRecord): LdapAttributes {
  return {
    objectClass: ['top', 'sstVirtualizationVirtualMachine', 'sstOperatingSystemObjectClass'],
    ...machineAttributes(record, MachineType.Template, TEMPLATE_SUB_TYPE, `${PROFILE_PREFIX}${record.profile}`),
    sstVirtualMachineMode: [record.mode],
  };
}

/**
 * A persistent VM's entry. Owners go in `sstRelationship`'s reseller and customer UIDs; the
 * software stack and environment in `sstBusinessLogicRoleName` and `sstEnvironmentName`,
 * which the schema defines but no VM class lists, hence `extensibleObject`.
 */
export function vmEntry(record: VmRecord): LdapAttributes {
  const entry: LdapAttributes = {
    objectClass: ['top', 'sstVirtualizationVirtualMachine', 'sstOperatingSystemObjectClass', 'sstRelationship', 'extensibleObject'],
    ...machineAttributes(record, MachineType.Persistent, record.type, `${TEMPLATE_PREFIX}${record.template}`),
    sstBelongsToResellerUID: [record.reseller],
    sstBelongsToCustomerUID: [record.customer],
  };
  if (record.softwareStack !== undefined) entry.sstBusinessLogicRoleName = [record.softwareStack];
  if (record.environment !== undefined) entry.sstEnvironmentName = [record.environment];
  return entry;
}

/** The `ou=devices` container under a machine. */
export function devicesEntry(): LdapAttributes {
  return { objectClass: ['top', 'organizationalUnit'], ou: ['devices'] };
}

/** The machine's system disk: a qcow2 file on virtio, its capacity and source image. */
export function diskEntry(record: MachineRecord): LdapAttributes {
  const entry: LdapAttributes = {
    objectClass: ['top', 'sstVirtualizationVirtualMachineDisk'],
    sstDisk: ['vda'],
    sstDevice: ['disk'],
    sstTargetBus: ['virtio'],
    sstType: ['file'],
    sstDriverName: ['qemu'],
    sstDriverType: ['qcow2'],
    sstVolumeCapacity: [String(record.hardware.diskBytes)],
  };
  if (record.image !== undefined) entry.sstSourceName = [record.image];
  return entry;
}

/** A pool's entry (`sstVirtualMachines`). */
export function poolEntry(record: PoolRecord): LdapAttributes {
  return {
    objectClass: ['top', 'sstVirtualMachines'],
    sstVirtualMachinePool: [record.id],
    sstDisplayName: [record.displayName],
    sstVirtualMachinePoolType: [record.type],
  };
}

/** Reads attributes case-insensitively, as LDAP names them. */
class EntryReader {
  readonly dn: string;
  readonly #values = new Map<string, string[]>();

  constructor(entry: Entry) {
    this.dn = entry.dn;
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'dn') continue;
      const list = Array.isArray(value) ? value : [value];
      this.#values.set(key.toLowerCase(), list.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item))));
    }
  }

  optional(type: string): string | undefined {
    const values = this.#values.get(type.toLowerCase());
    if (values === undefined || values.length === 0) return undefined;
    if (values.length > 1) throw new InvalidEntryError(this.dn, type, `expected one value, found ${values.length}`);
    return values[0];
  }

  required(type: string): string {
    const value = this.optional(type);
    if (value === undefined) throw new InvalidEntryError(this.dn, type, 'is missing');
    return value;
  }

  integer(type: string): number {
    const text = this.required(type);
    const value = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) throw new InvalidEntryError(this.dn, type, `${JSON.stringify(text)} is not a positive integer`);
    return value;
  }

  prefixed(type: string, prefix: string): string {
    const text = this.required(type);
    if (!text.startsWith(prefix) || text.length === prefix.length) throw new InvalidEntryError(this.dn, type, `expected "${prefix}<value>", got ${JSON.stringify(text)}`);
    return text.slice(prefix.length);
  }
}

function clockOffset(reader: EntryReader): 'utc' | 'localtime' {
  const value = reader.required('sstClockOffset').toLowerCase();
  if (value !== 'utc' && value !== 'localtime') throw new InvalidEntryError(reader.dn, 'sstClockOffset', `${JSON.stringify(value)} is not utc or localtime`);
  return value;
}

function machineRecord(machine: EntryReader, disk: EntryReader | undefined, id: string): MachineRecord {
  if (disk === undefined) throw new InvalidEntryError(machine.dn, 'sstDisk=vda', 'the machine has no system disk entry');
  const record: MachineRecord = {
    id,
    displayName: machine.required('sstDisplayName'),
    pool: machine.required('sstVirtualMachinePool').toLowerCase(),
    node: machine.required('sstNode'),
    hardware: { cpus: machine.integer('sstVCPU'), memoryBytes: machine.integer('sstMemory'), diskBytes: disk.integer('sstVolumeCapacity') },
    os: {
      operatingSystem: machine.required('sstOperatingSystem'),
      type: machine.required('sstOperatingSystemType'),
      version: machine.required('sstOperatingSystemVersion'),
    },
    clockOffset: clockOffset(machine),
  };
  const image = disk.optional('sstSourceName');
  if (image !== undefined) record.image = image;
  return record;
}

/** A template read from its entries, with its mode as stored (the caller heals it). */
export interface StoredTemplate {
  record: Omit<TemplateRecord, 'mode'>;
  storedMode: string | undefined;
}

/** Reads a template's entry and disk entry; a malformed entry throws `InvalidEntryError`. */
export function parseTemplate(machine: Entry, disk: Entry | undefined): StoredTemplate {
  const reader = new EntryReader(machine);
  const id = reader.required('sstVirtualMachine').toLowerCase();
  const type = reader.required('sstVirtualMachineType');
  if (type.toLowerCase() !== MachineType.Template) throw new InvalidEntryError(machine.dn, 'sstVirtualMachineType', `expected template, got ${JSON.stringify(type)}`);
  const record = { ...machineRecord(reader, disk && new EntryReader(disk), id), kind: 'template' as const, profile: reader.prefixed('description', PROFILE_PREFIX) };
  return { record, storedMode: reader.optional('sstVirtualMachineMode') };
}

/** Reads a persistent VM's entry and disk entry. */
export function parseVm(machine: Entry, disk: Entry | undefined): VmRecord {
  const reader = new EntryReader(machine);
  const id = reader.required('sstVirtualMachine').toLowerCase();
  const type = reader.required('sstVirtualMachineType');
  if (type.toLowerCase() !== MachineType.Persistent) throw new InvalidEntryError(machine.dn, 'sstVirtualMachineType', `expected persistent, got ${JSON.stringify(type)}`);
  const record: VmRecord = {
    ...machineRecord(reader, disk && new EntryReader(disk), id),
    kind: 'persistent',
    template: reader.prefixed('description', TEMPLATE_PREFIX).toLowerCase(),
    type: reader.required('sstVirtualMachineSubType'),
    reseller: reader.required('sstBelongsToResellerUID'),
    customer: reader.required('sstBelongsToCustomerUID'),
  };
  const softwareStack = reader.optional('sstBusinessLogicRoleName');
  const environment = reader.optional('sstEnvironmentName');
  if (softwareStack !== undefined) record.softwareStack = softwareStack;
  if (environment !== undefined) record.environment = environment;
  return record;
}

/** Reads a pool's entry. */
export function parsePool(entry: Entry): PoolRecord {
  const reader = new EntryReader(entry);
  return {
    id: reader.required('sstVirtualMachinePool').toLowerCase(),
    displayName: reader.optional('sstDisplayName') ?? reader.required('sstVirtualMachinePool'),
    type: reader.required('sstVirtualMachinePoolType'),
  };
}

/** The description value that links a VM to its template, for searches. */
export function templateLink(templateId: string): string {
  return `${TEMPLATE_PREFIX}${templateId}`;
}
