import { describeValue, InvalidInputError } from '@provkit/core';

/**
 * stoney cloud's template modes, as stored (`sstVirtualMachineMode`). The keys are the
 * identifiers code uses; the values are the exact stored strings.
 */
export const TemplateMode = {
  FirstInstallation: 'first installation',
  ReadyForUse: 'ready for use',
  Maintenance: 'maintenance mode',
  DoNotUse: 'do not use',
} as const;

/** One stored template mode. */
export type TemplateMode = (typeof TemplateMode)[keyof typeof TemplateMode];

/** Every mode, in lifecycle order. */
export const TEMPLATE_MODES: readonly TemplateMode[] = Object.values(TemplateMode);

/** True when `value` is one of the stored mode strings (exactly). */
export function isTemplateMode(value: unknown): value is TemplateMode {
  return typeof value === 'string' && (TEMPLATE_MODES as readonly string[]).includes(value);
}

/** Validates a mode string and returns it. */
export function checkTemplateMode(field: string, value: unknown): TemplateMode {
  if (!isTemplateMode(value)) throw new InvalidInputError(field, `${describeValue(value)} is not a template mode (${TEMPLATE_MODES.join(', ')})`);
  return value;
}
