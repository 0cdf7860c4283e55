import type { KitCheck } from '../kit/check.ts';
import { registerChecks } from '../kit/run-checks.ts';
import { osModuleAccessChecks } from './access-checks.ts';
import { osModuleGeneralizeChecks } from './generalize-checks.ts';
import { osModuleInputChecks } from './input-checks.ts';
import type { OsModuleKitOptions, OsModuleSuiteOptions } from './options.ts';
import { osModuleWaitChecks } from './wait-checks.ts';

function generalizeChecks(options: OsModuleKitOptions): KitCheck[] {
  const { disposableNode, observeNode } = options;
  return disposableNode && observeNode ? osModuleGeneralizeChecks(options, disposableNode, observeNode) : [];
}

/**
 * Every OS-module check the options ask for, as plain functions (see `runChecks`); the
 * post-load and generalization group needs `disposableNode` and `observeNode`.
 */
export function osModuleChecks(options: OsModuleKitOptions): KitCheck[] {
  return [...osModuleWaitChecks(options), ...osModuleInputChecks(options), ...osModuleAccessChecks(options), ...generalizeChecks(options)];
}

/** Shape, bounded waits and abort. */
export function osModuleWaitSuite(options: OsModuleSuiteOptions): void {
  registerChecks(options, osModuleWaitChecks(options));
}

/** Hostile input per operation. */
export function osModuleInputSuite(options: OsModuleSuiteOptions): void {
  registerChecks(options, osModuleInputChecks(options));
}

/** currentimage.txt and users on the live node. */
export function osModuleAccessSuite(options: OsModuleSuiteOptions): void {
  registerChecks(options, osModuleAccessChecks(options));
}

/** postLoad, preCapture end states and admin passwords on disposable nodes (registers nothing without them). */
export function osModuleGeneralizeSuite(options: OsModuleSuiteOptions): void {
  registerChecks(options, generalizeChecks(options));
}

/** Every OS-module suite the options ask for (see {@link osModuleChecks}). */
export function osModuleConformance(options: OsModuleSuiteOptions): void {
  registerChecks(options, osModuleChecks(options));
}
