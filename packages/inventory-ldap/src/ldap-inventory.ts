import {
  checkImageName,
  checkObject,
  checkOperationOptions,
  describeValue,
  ConflictError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  OperationFailedError,
  throwIfAborted,
  type ProvkitEmitter,
} from '@provkit/core';
import {
  TemplateMode,
  checkId,
  checkModeChange,
  checkTemplateMode,
  effectiveTemplateMode,
  generateDisplayName,
  generateId,
  newVmRecord,
  checkNewPool,
  checkNewTemplate,
  checkNewVm,
  type Inventory,
  type InventoryCallOptions,
  type ListTemplatesOptions,
  type ListVmsOptions,
  type ModeChange,
  type NewPool,
  type NewTemplate,
  type NewVm,
  type PoolRecord,
  type TemplateRecord,
  type VmRecord,
} from '@provkit/lean-provisioning';
import type { Entry } from 'ldapts';
import { ldapFilter } from './ldap-escape.ts';
import { LdapResult, ldapResultCode } from './ldap-errors.ts';
import { LdapSession, type LdapConnectionOptions } from './ldap-session.ts';
import { remoteCause, swapTemplateMode } from './mode-swap.ts';
import { StoneyLayout } from './stoney-layout.ts';
import { MachineType, devicesEntry, diskEntry, parsePool, parseTemplate, parseVm, poolEntry, templateEntry, templateLink, vmEntry, type LdapAttributes } from './stoney-entries.ts';

/** Options of {@link LdapInventory}. */
export interface LdapInventoryOptions extends LdapConnectionOptions {
  /** The directory's base; stoney cloud's `ou=services` tree must exist below it. */
  baseDN: string;
}

const MACHINE_CLASS = 'sstVirtualizationVirtualMachine';
const DISK_CLASS = 'sstVirtualizationVirtualMachineDisk';

/**
 * An `Inventory` (`@provkit/lean-provisioning`) in an LDAP directory, laid out and named as stoney cloud does, with
 * the attributes of its `sst.schema`. Mode changes are one modify that deletes the expected
 * mode and adds the new one: the server applies it only if the expected value is still
 * there, so of two concurrent changes one fails (`ConflictError`) instead of being lost.
 */
export class LdapInventory implements Inventory {
  readonly #session: LdapSession;
  readonly #layout: StoneyLayout;

  /** Creates the inventory; refuses bad options (`InvalidInputError`) before connecting. */
  constructor(options: LdapInventoryOptions) {
    checkObject('options', options);
    // Plain attribute values only: no control characters (a NUL cuts the DN short in C
    // directory servers), no DN specials that would need escaping (+ " \ ; < > =).
    if (typeof options.baseDN !== 'string' || options.baseDN.length > 1024 || !/^[A-Za-z][A-Za-z0-9-]*=[^,+"\\;<>=\u0000-\u001f\u007f-\u009f]+(,[A-Za-z][A-Za-z0-9-]*=[^,+"\\;<>=\u0000-\u001f\u007f-\u009f]+)*$/.test(options.baseDN)) {
      throw new InvalidInputError('baseDN', `expected a DN such as dc=example,dc=com, got ${describeValue(options.baseDN)}`);
    }
    this.#session = new LdapSession(options);
    this.#layout = new StoneyLayout(options.baseDN);
  }

  /**
   * `warning` events: one per connection made with `tls.insecureSkipTlsVerify` or
   * `allowPlaintextBind`. Never carries the password.
   */
  get events(): ProvkitEmitter {
    return this.#session.events;
  }

  async createPool(pool: NewPool, options: InventoryCallOptions = {}): Promise<PoolRecord> {
    checkOperationOptions(options);
    checkNewPool(pool);
    const record: PoolRecord = { id: generateId(), displayName: pool.displayName, type: pool.type };
    await this.#session.add(this.#layout.pool(record.id), poolEntry(record), options.signal);
    return record;
  }

  async getPool(id: string, options: InventoryCallOptions = {}): Promise<PoolRecord> {
    checkOperationOptions(options);
    checkId('pool', id);
    const entry = await this.#base(this.#layout.pool(id), ldapFilter`(objectClass=sstVirtualMachines)`, options.signal);
    if (!entry) throw new NotFoundError('pool', id);
    return parsePool(entry);
  }

  async listPools(options: InventoryCallOptions = {}): Promise<PoolRecord[]> {
    checkOperationOptions(options);
    const entries = await this.#session.search(this.#layout.pools, { scope: 'one', filter: ldapFilter`(objectClass=sstVirtualMachines)` }, options.signal);
    return entries.map(parsePool);
  }

  async createTemplate(template: NewTemplate, options: InventoryCallOptions = {}): Promise<TemplateRecord> {
    checkOperationOptions(options);
    checkNewTemplate(template);
    throwIfAborted(options.signal, 'createTemplate');
    await this.getPool(template.pool, options);
    const id = generateId();
    const { displayName, ...rest } = template;
    const record: TemplateRecord = { ...rest, id, kind: 'template', displayName: displayName ?? generateDisplayName('template', id), mode: TemplateMode.FirstInstallation };
    await this.#addMachine(record, templateEntry(record), options.signal);
    return record;
  }

  async getTemplate(id: string, options: InventoryCallOptions = {}): Promise<TemplateRecord> {
    checkOperationOptions(options);
    checkId('template', id);
    const machine = await this.#readMachine(id, MachineType.Template, options.signal);
    if (!machine) throw new NotFoundError('template', id);
    return this.#healed(machine.entry, machine.disk, options.signal);
  }

  async listTemplates(options: ListTemplatesOptions = {}): Promise<TemplateRecord[]> {
    checkOperationOptions(options);
    if (options.mode !== undefined) checkTemplateMode('mode', options.mode);
    // Filtering by mode happens after healing, so a template without a mode is listed as `do not use`.
    const machines = await this.#listMachines(MachineType.Template, undefined, options.signal);
    const templates: TemplateRecord[] = [];
    for (const { entry, disk } of machines) templates.push(await this.#healed(entry, disk, options.signal));
    return templates.filter((template) => options.mode === undefined || template.mode === options.mode);
  }

  async setTemplateMode(id: string, change: ModeChange): Promise<TemplateRecord> {
    checkOperationOptions(change, 'change');
    checkId('template', id);
    checkTemplateMode('change.from', change.from);
    checkTemplateMode('change.to', change.to);
    checkModeChange(change.from, change.to, `template ${id}`);
    // Heals first, so a template stored without a mode can change from `do not use`.
    const current = await this.getTemplate(id, change);
    if (current.mode !== change.from) throw new ConflictError(`Template ${id} is in mode "${current.mode}", not "${change.from}"; re-read and retry`);
    await swapTemplateMode(this.#session, this.#layout.machine(id), id, change.from, change.to, change.signal);
    return { ...current, mode: change.to };
  }

  async setTemplateImage(id: string, image: string, options: InventoryCallOptions = {}): Promise<TemplateRecord> {
    checkOperationOptions(options);
    checkId('template', id);
    checkImageName('image', image);
    const template = await this.getTemplate(id, options);
    await this.#session.modify(this.#layout.disk(id), [{ operation: 'replace', type: 'sstSourceName', values: [image] }], options.signal);
    return { ...template, image };
  }

  async deleteTemplate(id: string, options: InventoryCallOptions = {}): Promise<void> {
    checkOperationOptions(options);
    checkId('template', id);
    const users = await this.listVms({ ...options, template: id });
    if (users.length > 0) throw new InvalidStateError(`Template ${id} still has VMs: ${users.map((vm) => vm.id).join(', ')}`);
    await this.#deleteMachine(id, options.signal);
  }

  async createVm(vm: NewVm, options: InventoryCallOptions = {}): Promise<VmRecord> {
    checkOperationOptions(options);
    checkNewVm(vm);
    throwIfAborted(options.signal, 'createVm');
    await this.getPool(vm.pool, options);
    const record = newVmRecord(vm, await this.getTemplate(vm.template, options));
    const { id } = record;
    if (record.softwareStack === undefined) delete record.softwareStack;
    if (record.environment === undefined) delete record.environment;
    await this.#addMachine(record, vmEntry(record), options.signal);
    // The template may have left `ready for use` between the check and the add (LDAP has no
    // cross-entry transaction): check again and take the VM back if it did.
    const after = await this.getTemplate(vm.template, options).catch(async (error: unknown) => {
      await this.#deleteMachine(id, undefined);
      throw error;
    });
    if (after.mode !== TemplateMode.ReadyForUse) {
      await this.#deleteMachine(id, undefined);
      throw new ConflictError(`Template ${after.id} went to mode "${after.mode}" while VM ${id} was being created; the VM was not kept`);
    }
    return record;
  }

  async getVm(id: string, options: InventoryCallOptions = {}): Promise<VmRecord> {
    checkOperationOptions(options);
    checkId('vm', id);
    const machine = await this.#readMachine(id, MachineType.Persistent, options.signal);
    if (!machine) throw new NotFoundError('vm', id);
    return parseVm(machine.entry, machine.disk);
  }

  async listVms(options: ListVmsOptions = {}): Promise<VmRecord[]> {
    checkOperationOptions(options);
    if (options.template !== undefined) checkId('template', options.template);
    const machines = await this.#listMachines(MachineType.Persistent, options.template, options.signal);
    return machines.map(({ entry, disk }) => parseVm(entry, disk));
  }

  async setVmImage(id: string, image: string, options: InventoryCallOptions = {}): Promise<VmRecord> {
    checkOperationOptions(options);
    checkId('vm', id);
    checkImageName('image', image);
    const vm = await this.getVm(id, options);
    await this.#session.modify(this.#layout.disk(id), [{ operation: 'replace', type: 'sstSourceName', values: [image] }], options.signal);
    return { ...vm, image };
  }

  async deleteVm(id: string, options: InventoryCallOptions = {}): Promise<void> {
    checkOperationOptions(options);
    checkId('vm', id);
    await this.#deleteMachine(id, options.signal);
  }

  async close(): Promise<void> {
    await this.#session.close();
  }

  /** Reads one entry by DN; undefined when it does not exist. */
  async #base(dn: string, filter: string, signal: AbortSignal | undefined): Promise<Entry | undefined> {
    try {
      const [entry] = await this.#session.search(dn, { scope: 'base', filter }, signal);
      return entry;
    } catch (error) {
      if (noSuchObject(error)) return undefined;
      throw error;
    }
  }

  /** A machine's entry and its disk entry in one subtree search. */
  async #readMachine(id: string, type: string, signal: AbortSignal | undefined): Promise<{ entry: Entry; disk: Entry | undefined } | undefined> {
    let entries: Entry[];
    try {
      entries = await this.#session.search(
        this.#layout.machine(id),
        { scope: 'sub', filter: ldapFilter`(|(&(objectClass=${MACHINE_CLASS})(sstVirtualMachineType=${type}))(&(objectClass=${DISK_CLASS})(sstDisk=vda)))` },
        signal,
      );
    } catch (error) {
      if (noSuchObject(error)) return undefined;
      throw error;
    }
    const entry = entries.find((candidate) => isMachine(candidate));
    if (!entry) return undefined;
    return { entry, disk: entries.find((candidate) => !isMachine(candidate)) };
  }

  /** Every machine of a type (optionally made from one template), with disks, in one search. */
  async #listMachines(type: string, template: string | undefined, signal: AbortSignal | undefined): Promise<{ entry: Entry; disk: Entry | undefined }[]> {
    const machineFilter =
      template === undefined
        ? ldapFilter`(&(objectClass=${MACHINE_CLASS})(sstVirtualMachineType=${type}))`
        : ldapFilter`(&(objectClass=${MACHINE_CLASS})(sstVirtualMachineType=${type})(description=${templateLink(template)}))`;
    const entries = await this.#session.search(this.#layout.machines, { scope: 'sub', filter: `(|${machineFilter}${ldapFilter`(&(objectClass=${DISK_CLASS})(sstDisk=vda))`})` }, signal);
    const disks = new Map<string, Entry>();
    for (const entry of entries) {
      if (isMachine(entry)) continue;
      const owner = this.#layout.machineOf(entry.dn);
      if (owner) disks.set(owner, entry);
    }
    return entries.filter(isMachine).map((entry) => ({ entry, disk: disks.get(this.#layout.machineOf(entry.dn) ?? '') }));
  }

  /**
   * Adds the machine, its `ou=devices` and its disk. LDAP has no multi-entry transaction, so
   * a failure after the first add removes what was added: no half machine is left behind.
   * The signal is honoured before the first add only: an abort in between could race a
   * pending add against the clean-up.
   */
  async #addMachine(record: TemplateRecord | VmRecord, entry: LdapAttributes, signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal, `create ${record.kind}`);
    await this.#session.add(this.#layout.machine(record.id), entry);
    try {
      await this.#session.add(this.#layout.devices(record.id), devicesEntry());
      await this.#session.add(this.#layout.disk(record.id), diskEntry(record));
    } catch (error) {
      try {
        await this.#deleteMachine(record.id, undefined);
      } catch (cleanupError) {
        throw new OperationFailedError(`create ${record.kind} ${record.id}`, 'add entries', error, cleanupError);
      }
      throw error;
    }
  }

  /**
   * Deletes a machine's subtree, leaves first. Deleting a missing machine succeeds. As with
   * adding, the signal is honoured before the first delete only, so an abort never leaves a
   * machine without its disk.
   */
  async #deleteMachine(id: string, signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal, 'delete machine');
    for (const dn of [this.#layout.disk(id), this.#layout.devices(id), this.#layout.machine(id)]) {
      try {
        await this.#session.delete(dn);
      } catch (error) {
        if (!noSuchObject(error)) throw error;
      }
    }
  }

  /** Parses a template and writes `do not use` back when its stored mode is missing or unknown. */
  async #healed(entry: Entry, disk: Entry | undefined, signal: AbortSignal | undefined): Promise<TemplateRecord> {
    const { record, storedMode } = parseTemplate(entry, disk);
    const { mode, heal } = effectiveTemplateMode(storedMode);
    if (!heal) return { ...record, mode };
    const changes =
      storedMode === undefined
        ? [{ operation: 'add' as const, type: 'sstVirtualMachineMode', values: [mode] }]
        : [
            { operation: 'delete' as const, type: 'sstVirtualMachineMode', values: [storedMode] },
            { operation: 'add' as const, type: 'sstVirtualMachineMode', values: [mode] },
          ];
    try {
      await this.#session.modify(entry.dn, changes, signal);
    } catch (error) {
      // Someone else wrote a mode meanwhile (healed it too, or set one): read theirs.
      const code = ldapResultCode(remoteCause(error));
      if (code !== LdapResult.NoSuchAttribute && code !== LdapResult.AttributeOrValueExists && code !== LdapResult.ConstraintViolation) throw error;
      return this.getTemplate(record.id, signal ? { signal } : {});
    }
    return { ...record, mode };
  }
}

function isMachine(entry: Entry): boolean {
  return /^sstVirtualMachine=/i.test(entry.dn);
}

function noSuchObject(error: unknown): boolean {
  return ldapResultCode(remoteCause(error)) === LdapResult.NoSuchObject;
}
