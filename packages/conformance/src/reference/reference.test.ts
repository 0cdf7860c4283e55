/**
 * The whole conformance kit against the reference implementations: this is the proof that
 * the kit can be passed, and the test run that mutation testing measures the kit by.
 */
import { describe, it } from 'vitest';
import { osModuleConformance, provisionerConformance } from '../index.ts';
import { referenceOsModuleOptions, referenceProvisionerOptions } from '../../test-support/reference-fixture.ts';

describe('MemoryProvisioner passes the provisioner kit', () => {
  provisionerConformance({ describe, it, ...referenceProvisionerOptions() });
});

describe('MemoryOsModule passes the OS-module kit', () => {
  osModuleConformance({ describe, it, ...referenceOsModuleOptions() });
});
