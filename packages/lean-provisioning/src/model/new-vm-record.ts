import { InvalidStateError } from '@provkit/core';
import { generateDisplayName, generateId } from './record-input.ts';
import type { NewVm, TemplateRecord, VmRecord } from './records.ts';
import { TemplateMode } from './template-mode.ts';

/**
 * The record of a new persistent VM made from `template`, as every inventory stores it: a new
 * id, a generated display name unless one is given, and the template's hardware, OS, clock
 * and image. A template that is not `ready for use` is refused with `InvalidStateError`.
 * `vm` is taken as validated (`checkNewVm`).
 */
export function newVmRecord(vm: NewVm, template: TemplateRecord): VmRecord {
  if (template.mode !== TemplateMode.ReadyForUse) throw new InvalidStateError(`VMs are created only from templates in mode "ready for use"; template ${template.id} is in "${template.mode}"`);
  const id = generateId();
  const { displayName, ...rest } = vm;
  return {
    ...structuredClone(rest),
    id,
    kind: 'persistent',
    displayName: displayName ?? generateDisplayName('vm', id),
    hardware: template.hardware,
    os: template.os,
    clockOffset: template.clockOffset,
    ...(template.image === undefined ? {} : { image: template.image }),
  };
}
