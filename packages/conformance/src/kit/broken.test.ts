/**
 * The kit's strength: every deliberately broken module fails it, each at the check named
 * here, while the reference modules pass the same checks run the same way.
 */
import { describe, expect, it } from 'vitest';
import { runChecks, type CheckOutcome } from './run-checks.ts';
import { osModuleChecks } from '../os-module/suites.ts';
import { provisionerChecks } from '../provisioner/suites.ts';
import type { MemoryHost } from '../reference/memory-host.ts';
import { MemoryOsModule } from '../reference/memory-os-module.ts';
import { MemoryProvisioner } from '../reference/memory-provisioner.ts';
import { referenceOsModuleOptions, referenceProvisionerOptions } from '../../test-support/reference-fixture.ts';
import * as brokenOsModules from '../../test-support/broken-os-modules.ts';
import * as brokenProvisioners from '../../test-support/broken-provisioners.ts';

const failed = (outcomes: CheckOutcome[]): string[] => outcomes.filter((outcome) => outcome.status === 'failed').map((outcome) => outcome.name);

/** Each broken provisioner and (a distinctive part of) the name of a kit check that catches it. */
const PROVISIONERS: Array<[keyof typeof brokenProvisioners, string]> = [
  ['NoOpCaptureProvisioner', 'captures an image'],
  ['CaptureAlwaysExistsProvisioner', 'captures an image'],
  ['UnloadOnlyPowersOffProvisioner', 'and unloads it to absent'],
  ['AbortLeavesNodeProvisioner', 'an abort when load reaches disk-prepared'],
  ['DeleteImageNoOpProvisioner', 'captures an image'],
  ['DeleteInUseProvisioner', 'captures an image'],
  ['PowerOffLiesProvisioner', 'powers off (hard and graceful), on and reset'],
  ['PowerOnNoOpProvisioner', 'powers off (hard and graceful), on and reset'],
  ['LoadRefusesExistingProvisioner', 'loads over an existing managed node'],
  ['ReplacesUnmanagedProvisioner', 'never touches a node provkit did not create'],
  ['NodeStatusIgnoresOsModuleProvisioner', 'that nodeStatus with the OS module per call calls ready'],
  ['WrongProgressStepsProvisioner', 'loads a node (exactly the LOAD_STEPS'],
  ['DropsSubStepsProvisioner', 'post-load sub-steps through onProgress'],
  ['UnserializedLoadsProvisioner', 'serializes two concurrent loads of one node'],
  ['IgnoresEndStateProvisioner', 'captures with end state on'],
  ['ValidatesLateProvisioner', 'refuses hostile input to load'],
  ['UncheckedImageLookupProvisioner', 'refuses hostile input to doesImageExist'],
  ['AbsentIsOffProvisioner', 'unloads a node that does not exist'],
  ['AbortNotTypedProvisioner', 'an abort when load reaches started'],
];

/** Each broken OS module and a kit check that catches it. */
const OS_MODULES: Array<[keyof typeof brokenOsModules, string]> = [
  ['PreCaptureIgnoresEndStateOsModule', 'preCapture with end state on'],
  ['CreateUserAcceptsBadNamesOsModule', 'refuses hostile input to createUser'],
  ['LeaksSecretOsModule', 'never emitting the password'],
  ['WaitGivesUpAtOnceOsModule', 'waits out its bound on an unreachable node'],
  ['PostLoadNeverDoneOsModule', 'postLoad records the image with post-load done'],
  ['PostLoadOwnEventsOnlyOsModule', 'postLoad records the image with post-load done'],
  ['GrantAccessAcceptsNamesOsModule', 'refuses hostile input to grantAccess'],
  ['CurrentImageDropsPropertiesOsModule', 'writes and reads back the current image'],
];

describe('the kit run as plain functions', () => {
  it('passes the reference provisioner and OS module', async () => {
    expect(failed(await runChecks(provisionerChecks(referenceProvisionerOptions())))).toEqual([]);
    expect(failed(await runChecks(osModuleChecks(referenceOsModuleOptions())))).toEqual([]);
  });
});

describe('every broken provisioner fails the kit', () => {
  it.each(PROVISIONERS)('%s fails "%s"', async (name, catcher) => {
    const Broken = brokenProvisioners[name] as typeof MemoryProvisioner;
    const outcomes = await runChecks(provisionerChecks(referenceProvisionerOptions((host: MemoryHost) => new Broken({ host }))));
    expect(failed(outcomes).some((check) => check.includes(catcher)), `failed: ${failed(outcomes).join(' | ')}`).toBe(true);
  });
});

describe('every broken OS module fails the kit', () => {
  it.each(OS_MODULES)('%s fails "%s"', async (name, catcher) => {
    const Broken = brokenOsModules[name] as typeof MemoryOsModule;
    const outcomes = await runChecks(osModuleChecks(referenceOsModuleOptions((host: MemoryHost) => new Broken({ host }))));
    expect(failed(outcomes).some((check) => check.includes(catcher)), `failed: ${failed(outcomes).join(' | ')}`).toBe(true);
  });
});
