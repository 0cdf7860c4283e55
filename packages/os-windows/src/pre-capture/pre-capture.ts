import {
  checkOneOf,
  checkPositiveInteger,
  InvalidInputError,
  OperationFailedError,
  ProvkitError,
  Secret,
  type EndState,
  type NodeSpec,
  type OperationReport,
  type PreCaptureOptions,
  type PreCaptureResult,
} from '@provkit/core';
import { waitContextOf, type ModuleContext } from '../module/module-context.ts';
import { GENERALIZED_IMAGE_STATE, waitForSysprep } from '../system/node-waits.ts';
import { outputValue } from '../script-output.ts';
import { writeFileScript } from '../scripts/file-scripts.ts';
import { startSysprepScript, type SysprepExit } from '../scripts/power-scripts.ts';
import { answerFileXml } from '../unattend/answer-file.ts';
import { selectOperations } from '../windows-inputs.ts';
import { runCleanupStep, warnAboutStoreApps } from './pre-capture-steps.ts';

const SYSPREP_EXIT: Record<EndState, SysprepExit> = { off: 'shutdown', on: 'quit', reboot: 'reboot' };

/**
 * Generalizes the guest: checks the request (end state, steps, a configured Administrator
 * password, the bound) before any command, warns about Store apps that make Sysprep fail, runs
 * the selected cleanup steps, writes the answer file, starts Sysprep and waits (bounded) for
 * the end state. A failing step is an `OperationFailedError` naming it.
 */
export async function preCapture(context: ModuleContext, node: NodeSpec, options: PreCaptureOptions): Promise<PreCaptureResult> {
  const { settings } = context;
  const endState = options.endState === undefined ? 'off' : checkOneOf('endState', options.endState, ['on', 'off', 'reboot']);
  const operations = selectOperations(options.operations);
  if (!settings.administratorPassword && settings.unattend.promptForAdministratorPassword !== true) {
    throw new InvalidInputError(
      'administratorPassword',
      'is required to capture: without it the answer file sets no Administrator password, and OOBE on every clone stops to ask for one (Windows Server always does), so the image never finishes booting unattended; configure administratorPassword, or set unattend.promptForAdministratorPassword: true for an image that may prompt',
    );
  }
  const timeoutMs = options.timeoutMs === undefined ? settings.sysprepTimeoutMs : checkPositiveInteger('timeoutMs', options.timeoutMs);
  const signal = options.signal;
  const progress = context.progress('preCapture', node.name, options.onProgress);
  return context.serialized(node, signal, async () => {
    const step = async <T>(name: string, task: () => Promise<T>): Promise<T> => {
      try {
        return await task();
      } catch (error) {
        throw new OperationFailedError('preCapture', name, error);
      }
    };

    const warn = (message: string): void => void context.events.emit('warning', { operation: 'preCapture', node: node.name, message });
    const problems = await warnAboutStoreApps((script) => context.run(node, script, { signal }), warn);
    progress.step('appx-checked', problems === undefined ? 'could not check Store apps' : `${problems} package(s) that may make Sysprep fail`);

    const reports: OperationReport[] = [];
    for (const name of operations) {
      const report = await step(name, () =>
        runCleanupStep(name, (script, spec = {}) => context.run(node, script, { ...spec, signal }), {
          administratorPassword: settings.administratorPassword,
          warn,
        }),
      );
      reports.push(report);
      progress.step(name, report.detail);
    }

    await step('write-unattend', async () => {
      const xml = answerFileXml(settings, operations);
      const secrets = settings.administratorPassword ? [settings.administratorPassword] : [];
      await context.run(node, writeFileScript(settings.unattendPath, { adminOnly: true }), { stdin: Secret.of(xml), secrets, signal });
      progress.step('unattend-written', settings.unattendPath);
    });

    await step('start-sysprep', async () => {
      try {
        const started = await context.run(node, startSysprepScript(settings.unattendPath, SYSPREP_EXIT[endState], settings.sysprepVmMode), { signal });
        progress.step('sysprep-started', `process ${outputValue(started.stdout, 'pid') ?? 'unknown'}, /${SYSPREP_EXIT[endState]}`);
      } catch (error) {
        // Sysprep may take the machine down before the launching command reports back.
        if (!ProvkitError.hasCode(error, 'CONNECTION_FAILED')) throw error;
        progress.step('sysprep-started', 'the SSH session dropped while Sysprep started (expected)');
      }
    });

    await step('wait-for-sysprep', () => waitForSysprep(waitContextOf(context, node), endState, timeoutMs, signal));
    progress.step(endState === 'on' ? 'generalized' : endState === 'off' ? 'shut-down' : 'rebooting', `Sysprep finished; ${GENERALIZED_IMAGE_STATE}`);
    return { operations: reports, endState };
  });
}
