/**
 * `@provkit/conformance`: vitest suites that check a provisioner or OS module keeps the
 * provkit contracts. Third parties run them exactly as the first-party modules do:
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { provisionerConformance } from '@provkit/conformance';
 *
 * provisionerConformance({ describe, it, createProvisioner: () => new MyProvisioner(config), image: 'base-v1',
 *   newNode: () => ({ name: `conf-${crypto.randomUUID().slice(0, 8)}` }), newImageName: () => `conf-${Date.now()}-v1` });
 * ```
 *
 * Each aggregate suite is also available in granular parts.
 *
 * @packageDocumentation
 */
export type { TestApi } from './test-api.ts';
export { recordEvents } from './test-api.ts';
export {
  provisionerConformance,
  provisionerShapeSuite,
  provisionerImagesSuite,
  provisionerSafetySuite,
  provisionerLifecycleSuite,
  type ProvisionerSuiteOptions,
} from './provisioner-suite.ts';
export { osModuleConformance, osModuleWaitSuite, osModuleCurrentImageSuite, osModuleAccessSuite, type OsModuleSuiteOptions } from './os-module-suite.ts';
