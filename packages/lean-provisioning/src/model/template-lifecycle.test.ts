import { describe, expect, it } from 'vitest';
import { ProvkitError } from '@provkit/core';
import { TEMPLATE_ACTIONS, applyTemplateAction, checkModeChange, canApplyTemplateAction, effectiveTemplateMode, type TemplateAction } from './template-lifecycle.ts';
import { TEMPLATE_MODES, TemplateMode, checkTemplateMode } from './template-mode.ts';

const F = TemplateMode.FirstInstallation;
const R = TemplateMode.ReadyForUse;
const M = TemplateMode.Maintenance;
const D = TemplateMode.DoNotUse;

// The whole lifecycle, written out independently of the implementation's table:
// every (mode, action) pair, the mode it leads to, or null when it must throw.
const EXPECTED: Record<TemplateMode, Record<TemplateAction, TemplateMode | null>> = {
  [F]: { release: R, maintain: null, retire: D, start: F, createVm: null },
  [R]: { release: null, maintain: M, retire: D, start: null, createVm: R },
  [M]: { release: R, maintain: null, retire: D, start: M, createVm: null },
  [D]: { release: null, maintain: M, retire: null, start: null, createVm: null },
};

const cases = TEMPLATE_MODES.flatMap((mode) => TEMPLATE_ACTIONS.map((action) => ({ mode, action, next: EXPECTED[mode][action] })));

describe('template modes', () => {
  it('stores the exact stoney cloud strings', () => {
    expect(TEMPLATE_MODES).toEqual(['first installation', 'ready for use', 'maintenance mode', 'do not use']);
  });

  it('refuses a mode string that is not exactly a stored value', () => {
    expect(() => checkTemplateMode('mode', 'ready-for-use')).toThrow(/Invalid mode/);
    expect(() => checkTemplateMode('mode', 'Ready For Use')).toThrow(/Invalid mode/);
  });
});

describe('template lifecycle', () => {
  it.each(cases.filter((c) => c.next !== null))('$mode --$action--> $next', ({ mode, action, next }) => {
    expect(applyTemplateAction(mode, action)).toBe(next);
    expect(canApplyTemplateAction(mode, action)).toBe(true);
  });

  it.each(cases.filter((c) => c.next === null))('$mode refuses $action with InvalidStateError', ({ mode, action }) => {
    expect(canApplyTemplateAction(mode, action)).toBe(false);
    let thrown: unknown;
    try {
      applyTemplateAction(mode, action, 'template t1');
    } catch (error) {
      thrown = error;
    }
    expect(ProvkitError.hasCode(thrown, 'INVALID_STATE')).toBe(true);
    expect((thrown as Error).message).toContain(`Cannot ${action} template t1 in mode "${mode}"`);
  });

  it('covers all 20 mode/action pairs', () => {
    expect(cases).toHaveLength(20);
  });

  const changes = TEMPLATE_MODES.flatMap((from) => TEMPLATE_MODES.map((to) => ({ from, to, legal: from !== to && Object.values(EXPECTED[from]).includes(to) })));

  it.each(changes.filter((c) => c.legal))('mode change $from -> $to is legal', ({ from, to }) => {
    expect(() => checkModeChange(from, to)).not.toThrow();
  });

  it.each(changes.filter((c) => !c.legal))('mode change $from -> $to is refused', ({ from, to }) => {
    expect(() => checkModeChange(from, to)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it.each([
    [undefined, D, true],
    ['', D, true],
    ['bogus', D, true],
    ['ready for use', R, false],
    ['maintenance mode', M, false],
  ] as const)('reads stored mode %j as %s (heal: %s)', (stored, mode, heal) => {
    expect(effectiveTemplateMode(stored)).toEqual({ mode, heal });
  });
});
