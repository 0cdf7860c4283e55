import { randomUUID } from 'node:crypto';
import { InvalidInputError, checkName, checkPositiveInteger, describeValue } from '@provkit/core';
import type { MachineHardware, NewPool, NewTemplate, NewVm } from './records.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Free text an inventory stores (display names, OS facts, owners): printable, bounded. */
const TEXT = /^[^\u0000-\u001f\u007f]{1,128}$/u;

/** A new UUID for an inventory entry (stoney cloud names every VM, template and pool by one). */
export function generateId(): string {
  return randomUUID();
}

/**
 * A readable display name for a generated entry, like the vm-manager's: a prefix and the
 * first block of the UUID, e.g. `vm-3f2a91c0`.
 */
export function generateDisplayName(prefix: string, id: string): string {
  return `${prefix}-${id.slice(0, 8)}`;
}

/** Validates an inventory id (a lower-case UUID). */
export function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new InvalidInputError(field, `expected a lower-case UUID, got ${describeValue(value)}`);
  return value;
}

/** Validates stored free text. */
export function checkText(field: string, value: unknown): string {
  if (typeof value !== 'string' || !TEXT.test(value) || value.trim() !== value) {
    throw new InvalidInputError(field, `expected 1-128 printable characters without surrounding spaces, got ${describeValue(value)}`);
  }
  return value;
}

function hardware(field: string, value: MachineHardware | undefined): void {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError(field, 'is required');
  checkPositiveInteger(`${field}.cpus`, value.cpus, 512);
  checkPositiveInteger(`${field}.memoryBytes`, value.memoryBytes);
  checkPositiveInteger(`${field}.diskBytes`, value.diskBytes);
}

function machine(field: string, input: NewTemplate | NewVm): void {
  if (input.displayName !== undefined) checkText(`${field}.displayName`, input.displayName);
  checkId(`${field}.pool`, input.pool);
  checkName(`${field}.node`, input.node);
}

/** Validates a new pool before any write. */
export function checkNewPool(input: NewPool): void {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('pool', 'is required');
  checkText('pool.displayName', input.displayName);
  checkName('pool.type', input.type);
}

/** Validates a new template before any write. */
export function checkNewTemplate(input: NewTemplate): void {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('template', 'is required');
  machine('template', input);
  checkName('template.profile', input.profile);
  hardware('template.hardware', input.hardware);
  checkText('template.os.operatingSystem', input.os?.operatingSystem);
  checkText('template.os.type', input.os.type);
  checkText('template.os.version', input.os.version);
  if (input.clockOffset !== 'utc' && input.clockOffset !== 'localtime') throw new InvalidInputError('template.clockOffset', 'expected utc or localtime');
}

/** Validates a new VM before any write. */
export function checkNewVm(input: NewVm): void {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('vm', 'is required');
  machine('vm', input);
  checkId('vm.template', input.template);
  checkName('vm.type', input.type);
  checkText('vm.reseller', input.reseller);
  checkText('vm.customer', input.customer);
  if (input.softwareStack !== undefined) checkText('vm.softwareStack', input.softwareStack);
  if (input.environment !== undefined) checkText('vm.environment', input.environment);
}
