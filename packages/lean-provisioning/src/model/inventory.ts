import type { NewPool, NewTemplate, NewVm, PoolRecord, TemplateRecord, VmRecord } from './records.ts';
import type { TemplateMode } from './template-mode.ts';

/** Options every inventory call accepts. */
export interface InventoryCallOptions {
  signal?: AbortSignal;
}

/** A compare-and-swap mode change: applied only if the template is still in `from`. */
export interface ModeChange extends InventoryCallOptions {
  from: TemplateMode;
  to: TemplateMode;
}

/** Filter of {@link Inventory.listTemplates}. */
export interface ListTemplatesOptions extends InventoryCallOptions {
  mode?: TemplateMode;
}

/** Filter of {@link Inventory.listVms}. */
export interface ListVmsOptions extends InventoryCallOptions {
  template?: string;
}

/**
 * Where pools, templates and persistent VMs are recorded (stoney cloud keeps them in LDAP).
 *
 * Rules every implementation keeps (the shared suite checks them):
 * - ids are UUIDs the inventory generates; display names are generated when not given;
 * - a new template is in `first installation`;
 * - reading a template without a valid mode returns it as `do not use` and writes that back;
 * - {@link setTemplateMode} is compare-and-swap: if the stored mode is not `from` it throws
 *   `ConflictError` and changes nothing; an illegal change throws `InvalidStateError`;
 * - {@link createVm} refuses (`InvalidStateError`) unless the template is `ready for use`;
 * - a lookup of a missing object throws `NotFoundError`; deleting a missing object succeeds;
 * - a stored entry that cannot be read as a record throws `InvalidEntryError`;
 * - bad input throws `InvalidInputError` before any write; a lost connection `ConnectionError`;
 * - every call honours `signal` (`AbortedError`).
 */
export interface Inventory {
  /** Records a VM pool under a generated UUID. */
  createPool(pool: NewPool, options?: InventoryCallOptions): Promise<PoolRecord>;
  /** A pool by id; `NotFoundError` when there is none. */
  getPool(id: string, options?: InventoryCallOptions): Promise<PoolRecord>;
  /** Every pool. */
  listPools(options?: InventoryCallOptions): Promise<PoolRecord[]>;

  /** Records a template in `first installation` under a generated UUID (its pool must exist). */
  createTemplate(template: NewTemplate, options?: InventoryCallOptions): Promise<TemplateRecord>;
  /** A template by id, its mode healed to `do not use` when missing or unknown. */
  getTemplate(id: string, options?: InventoryCallOptions): Promise<TemplateRecord>;
  /** Every template (healed), optionally only those in one mode. */
  listTemplates(options?: ListTemplatesOptions): Promise<TemplateRecord[]>;
  /** Compare-and-swap of the mode: `ConflictError` unless the template is still in `change.from`. */
  setTemplateMode(id: string, change: ModeChange): Promise<TemplateRecord>;
  /** Records the image captured from the template (its disk as a library image). */
  setTemplateImage(id: string, image: string, options?: InventoryCallOptions): Promise<TemplateRecord>;
  /** Removes a template; refused (`InvalidStateError`) while VMs made from it exist. */
  deleteTemplate(id: string, options?: InventoryCallOptions): Promise<void>;

  /** Records a persistent VM from a `ready for use` template, copying its hardware, OS and image. */
  createVm(vm: NewVm, options?: InventoryCallOptions): Promise<VmRecord>;
  /** A VM by id; `NotFoundError` when there is none. */
  getVm(id: string, options?: InventoryCallOptions): Promise<VmRecord>;
  /** Every VM, optionally only those made from one template. */
  listVms(options?: ListVmsOptions): Promise<VmRecord[]>;
  /** Records the image a VM's disk now comes from. */
  setVmImage(id: string, image: string, options?: InventoryCallOptions): Promise<VmRecord>;
  /** Removes a VM; removing a missing one succeeds. */
  deleteVm(id: string, options?: InventoryCallOptions): Promise<void>;

  /** Releases connections. */
  close(): Promise<void>;
}
