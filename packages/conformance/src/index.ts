/**
 * `@provkit/conformance`: the executable specification of the provkit contracts. Vitest
 * suites check that a provisioner or OS module keeps `ProvisionerV1` / `OsModuleV1`; third
 * parties run them exactly as the first-party modules do:
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { provisionerConformance } from '@provkit/conformance';
 *
 * provisionerConformance({ describe, it, createProvisioner: () => new MyProvisioner(config), osModule, image: 'base-v1',
 *   newNode: () => ({ name: `conf-${crypto.randomUUID().slice(0, 8)}`, address }), newImageName: () => `conf-${Date.now()}-v1` });
 * ```
 *
 * Each aggregate suite is also available in granular parts, and every check as a plain
 * function (`provisionerChecks`, `osModuleChecks`, `runChecks`). `MemoryProvisioner` and
 * `MemoryOsModule` are reference implementations that pass the whole kit.
 *
 * @packageDocumentation
 */
export type { TestApi } from './kit/test-api.ts';
export { errorCode, expectErrorCode } from './kit/test-api.ts';
export { recordEvents, type EventSource, type RecordedEvent } from './kit/record-events.ts';
export type { KitCheck } from './kit/check.ts';
export { registerChecks, runChecks, type CheckOutcome } from './kit/run-checks.ts';
export type { ProvisionerKitOptions, ProvisionerSuiteOptions } from './provisioner/options.ts';
export {
  provisionerChecks,
  provisionerConformance,
  provisionerShapeSuite,
  provisionerImagesSuite,
  provisionerInputSuite,
  provisionerSafetySuite,
  provisionerLifecycleSuite,
  provisionerCaptureSuite,
  provisionerReloadSuite,
  provisionerAbortSuite,
} from './provisioner/suites.ts';
export type { ObservedNode, OsModuleKitOptions, OsModuleSuiteOptions } from './os-module/options.ts';
export { osModuleChecks, osModuleConformance, osModuleWaitSuite, osModuleInputSuite, osModuleAccessSuite, osModuleGeneralizeSuite } from './os-module/suites.ts';
export { MemoryHost, type MemoryDisk, type MemoryImage, type MemoryNode } from './reference/memory-host.ts';
export { MemoryProvisioner, type MemoryProvisionerOptions } from './reference/memory-provisioner.ts';
export { MemoryOsModule, type MemoryOsModuleOptions } from './reference/memory-os-module.ts';
export { inventorySuite, type InventoryFixture, type SuiteFunctions } from './inventory/inventory-suite.ts';
