import type { ProgressEvent } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { expectErrorCode, expectExplained } from '../kit/test-api.ts';
import { cleanUp, expectAbsent, osModuleOf, timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';
import { FRESH_LOAD_STEPS } from './steps.ts';

/** An abort at each step of a load (when that step's progress event arrives) ends ABORTED with the node absent. */
export function provisionerAbortChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 abort';
  const { load: timeout } = timeouts(options);
  return FRESH_LOAD_STEPS.filter((step) => step !== 'load-done').map((target) =>
    check(group, `an abort when load reaches ${target} ends ABORTED (OperationFailedError naming the step), reports nothing but load-failed after it, and leaves the node absent`, timeout, () =>
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        const controller = new AbortController();
        const steps: string[] = [];
        const onProgress = (event: ProgressEvent): void => {
          if (event.operation !== 'load') return;
          steps.push(event.step);
          if (event.step === target) controller.abort(new Error(`conformance abort at ${target}`));
        };
        try {
          const error = await expectErrorCode(provisioner.load({ node, image: options.image, osModule: osModuleOf(options), signal: controller.signal, onProgress }), 'ABORTED');
          // The contract: a load that fails part-way throws OperationFailedError naming its step.
          expect(error).toMatchObject({ code: 'OPERATION_FAILED', operation: 'load', step: expect.stringMatching(/\S/) });
          expectExplained(error);
          expect(steps, `load never reached ${target}`).toContain(target);
          expect(steps.slice(steps.indexOf(target) + 1).filter((step) => step !== 'load-failed')).toEqual([]);
          await expectAbsent(provisioner, node);
          expect(await provisioner.doesImageExist({ image: options.image })).toBe(true);
        } finally {
          await cleanUp(provisioner, { nodes: [node] });
        }
      }),
    ),
  );
}
