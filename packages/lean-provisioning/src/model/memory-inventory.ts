import { ConflictError, InvalidStateError, NotFoundError, checkImageName, throwIfAborted } from '@provkit/core';
import type { Inventory, InventoryCallOptions, ListTemplatesOptions, ListVmsOptions, ModeChange } from './inventory.ts';
import { checkId, generateDisplayName, generateId, checkNewPool, checkNewTemplate, checkNewVm } from './record-input.ts';
import { newVmRecord } from './new-vm-record.ts';
import type { NewPool, NewTemplate, NewVm, PoolRecord, TemplateRecord, VmRecord } from './records.ts';
import { checkModeChange, effectiveTemplateMode } from './template-lifecycle.ts';
import { TemplateMode, checkTemplateMode } from './template-mode.ts';

/** A template as stored: its mode may be missing or wrong, as in a hand-edited directory. */
type StoredTemplate = Omit<TemplateRecord, 'mode'> & { mode?: string };

/**
 * An {@link Inventory} kept in memory, for tests, demos and single-process orchestrators.
 * Records are copied in and out, so callers never share state with the store.
 */
export class MemoryInventory implements Inventory {
  readonly #pools = new Map<string, PoolRecord>();
  readonly #templates = new Map<string, StoredTemplate>();
  readonly #vms = new Map<string, VmRecord>();

  async createPool(pool: NewPool, options: InventoryCallOptions = {}): Promise<PoolRecord> {
    checkNewPool(pool);
    throwIfAborted(options.signal, 'createPool');
    const id = generateId();
    const record: PoolRecord = { id, displayName: pool.displayName, type: pool.type };
    this.#pools.set(id, record);
    return structuredClone(record);
  }

  async getPool(id: string, options: InventoryCallOptions = {}): Promise<PoolRecord> {
    checkId('pool', id);
    throwIfAborted(options.signal, 'getPool');
    const pool = this.#pools.get(id);
    if (!pool) throw new NotFoundError('pool', id);
    return structuredClone(pool);
  }

  async listPools(options: InventoryCallOptions = {}): Promise<PoolRecord[]> {
    throwIfAborted(options.signal, 'listPools');
    return [...this.#pools.values()].map((pool) => structuredClone(pool));
  }

  async createTemplate(template: NewTemplate, options: InventoryCallOptions = {}): Promise<TemplateRecord> {
    checkNewTemplate(template);
    throwIfAborted(options.signal, 'createTemplate');
    await this.getPool(template.pool, options);
    const id = generateId();
    const { displayName, ...rest } = template;
    const record: TemplateRecord = { ...structuredClone(rest), id, kind: 'template', displayName: displayName ?? generateDisplayName('template', id), mode: TemplateMode.FirstInstallation };
    this.#templates.set(id, record);
    return structuredClone(record);
  }

  async getTemplate(id: string, options: InventoryCallOptions = {}): Promise<TemplateRecord> {
    checkId('template', id);
    throwIfAborted(options.signal, 'getTemplate');
    const stored = this.#templates.get(id);
    if (!stored) throw new NotFoundError('template', id);
    return structuredClone(this.#heal(stored));
  }

  async listTemplates(options: ListTemplatesOptions = {}): Promise<TemplateRecord[]> {
    if (options.mode !== undefined) checkTemplateMode('mode', options.mode);
    throwIfAborted(options.signal, 'listTemplates');
    return [...this.#templates.values()].map((stored) => this.#heal(stored)).filter((template) => options.mode === undefined || template.mode === options.mode).map((template) => structuredClone(template));
  }

  async setTemplateMode(id: string, change: ModeChange): Promise<TemplateRecord> {
    checkId('template', id);
    checkTemplateMode('change.from', change.from);
    checkTemplateMode('change.to', change.to);
    checkModeChange(change.from, change.to, `template ${id}`);
    throwIfAborted(change.signal, 'setTemplateMode');
    // Compare and swap with no await in between: nothing can interleave.
    const stored = this.#templates.get(id);
    if (!stored) throw new NotFoundError('template', id);
    const current = this.#heal(stored).mode;
    if (current !== change.from) throw new ConflictError(`Template ${id} is in mode "${current}", not "${change.from}"; re-read and retry`);
    stored.mode = change.to;
    return structuredClone(this.#heal(stored));
  }

  async setTemplateImage(id: string, image: string, options: InventoryCallOptions = {}): Promise<TemplateRecord> {
    checkId('template', id);
    checkImageName('image', image);
    await this.getTemplate(id, options);
    this.#templates.get(id)!.image = image;
    return this.getTemplate(id);
  }

  async deleteTemplate(id: string, options: InventoryCallOptions = {}): Promise<void> {
    checkId('template', id);
    throwIfAborted(options.signal, 'deleteTemplate');
    const users = [...this.#vms.values()].filter((vm) => vm.template === id).map((vm) => vm.id);
    if (users.length > 0) throw new InvalidStateError(`Template ${id} still has VMs: ${users.join(', ')}`);
    this.#templates.delete(id);
  }

  async createVm(vm: NewVm, options: InventoryCallOptions = {}): Promise<VmRecord> {
    checkNewVm(vm);
    throwIfAborted(options.signal, 'createVm');
    await this.getPool(vm.pool, options);
    const record = newVmRecord(vm, await this.getTemplate(vm.template, options));
    this.#vms.set(record.id, record);
    return structuredClone(record);
  }

  async getVm(id: string, options: InventoryCallOptions = {}): Promise<VmRecord> {
    checkId('vm', id);
    throwIfAborted(options.signal, 'getVm');
    const vm = this.#vms.get(id);
    if (!vm) throw new NotFoundError('vm', id);
    return structuredClone(vm);
  }

  async listVms(options: ListVmsOptions = {}): Promise<VmRecord[]> {
    if (options.template !== undefined) checkId('template', options.template);
    throwIfAborted(options.signal, 'listVms');
    return [...this.#vms.values()].filter((vm) => options.template === undefined || vm.template === options.template).map((vm) => structuredClone(vm));
  }

  async setVmImage(id: string, image: string, options: InventoryCallOptions = {}): Promise<VmRecord> {
    checkId('vm', id);
    checkImageName('image', image);
    await this.getVm(id, options);
    this.#vms.get(id)!.image = image;
    return this.getVm(id);
  }

  async deleteVm(id: string, options: InventoryCallOptions = {}): Promise<void> {
    checkId('vm', id);
    throwIfAborted(options.signal, 'deleteVm');
    this.#vms.delete(id);
  }

  async close(): Promise<void> {}

  /**
   * Test hook: stores a raw mode (or none) for a template, as a hand-edited directory
   * might, so self-healing can be exercised.
   */
  corruptTemplateMode(id: string, mode: string | undefined): void {
    const stored = this.#templates.get(id);
    if (!stored) throw new NotFoundError('template', id);
    if (mode === undefined) delete stored.mode;
    else stored.mode = mode;
  }

  /** Test hook: the mode as stored, without healing. */
  rawTemplateMode(id: string): string | undefined {
    const stored = this.#templates.get(id);
    if (!stored) throw new NotFoundError('template', id);
    return stored.mode;
  }

  #heal(stored: StoredTemplate): TemplateRecord {
    const { mode, heal } = effectiveTemplateMode(stored.mode);
    if (heal) stored.mode = mode;
    return { ...stored, mode };
  }
}
