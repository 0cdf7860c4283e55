import { InvalidStateError } from '@provkit/core';
import { TemplateMode, isTemplateMode } from './template-mode.ts';

/**
 * What can be done to a template. `release`, `maintain` and `retire` change its mode;
 * `start` (boot it to install or change it) and `createVm` (clone a VM from it) do not.
 */
export type TemplateAction = 'release' | 'maintain' | 'retire' | 'start' | 'createVm';

/** Every action, for tables and tests. */
export const TEMPLATE_ACTIONS: readonly TemplateAction[] = ['release', 'maintain', 'retire', 'start', 'createVm'];

/**
 * The lifecycle as data: for each mode, the actions allowed and the mode each one leads to.
 * - `first installation` (set on creation): it is being installed; it may boot; `release`
 *   makes it `ready for use`.
 * - `ready for use`: VMs are created from it; it must not boot (a boot would change what
 *   every new VM gets), so changing it means `maintain` first.
 * - `maintenance mode`: it may boot to be changed; `release` again when done.
 * - `do not use`: retired or broken; only `maintain` brings it back for repair.
 */
const LIFECYCLE: Record<TemplateMode, Partial<Record<TemplateAction, TemplateMode>>> = {
  [TemplateMode.FirstInstallation]: { release: TemplateMode.ReadyForUse, retire: TemplateMode.DoNotUse, start: TemplateMode.FirstInstallation },
  [TemplateMode.ReadyForUse]: { maintain: TemplateMode.Maintenance, retire: TemplateMode.DoNotUse, createVm: TemplateMode.ReadyForUse },
  [TemplateMode.Maintenance]: { release: TemplateMode.ReadyForUse, retire: TemplateMode.DoNotUse, start: TemplateMode.Maintenance },
  [TemplateMode.DoNotUse]: { maintain: TemplateMode.Maintenance },
};

/** The mode a template is in after `action`; throws `InvalidStateError` when the action is not allowed. */
export function applyTemplateAction(mode: TemplateMode, action: TemplateAction, template = 'template'): TemplateMode {
  const next = LIFECYCLE[mode][action];
  if (next === undefined) {
    const allowed = Object.keys(LIFECYCLE[mode]).join(', ');
    throw new InvalidStateError(`Cannot ${action} ${template} in mode "${mode}" (allowed: ${allowed})`);
  }
  return next;
}

/** True when `action` is allowed in `mode`. */
export function canApplyTemplateAction(mode: TemplateMode, action: TemplateAction): boolean {
  return LIFECYCLE[mode][action] !== undefined;
}

/**
 * Throws `InvalidStateError` unless a template may go from `from` to `to` by some action.
 * Inventories call this on every mode change, so an illegal change is refused even when
 * it is asked for directly.
 */
export function checkModeChange(from: TemplateMode, to: TemplateMode, template = 'template'): void {
  if (from === to) throw new InvalidStateError(`${template} is already in mode "${to}"`);
  const reachable = Object.values(LIFECYCLE[from]);
  if (!reachable.includes(to)) throw new InvalidStateError(`${template} cannot go from mode "${from}" to "${to}"`);
}

/**
 * The mode a template is treated as when read: a stored mode as is; anything else (absent,
 * empty, unknown) as `do not use`, with `heal: true` so the reader writes that back.
 */
export function effectiveTemplateMode(stored: unknown): { mode: TemplateMode; heal: boolean } {
  return isTemplateMode(stored) ? { mode: stored, heal: false } : { mode: TemplateMode.DoNotUse, heal: true };
}
