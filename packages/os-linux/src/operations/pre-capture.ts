import { checkNodeSpec, InvalidInputError, ProvkitError, type EndState, type GeneralizationReportEntry, type OperationReport, type PreCaptureOptions, type PreCaptureResult } from '@provkit/core';
import { commandTimeout, operationContextOf, type ModuleContext } from '../module/module-context.ts';
import { PreCaptureFailedError } from '../pre-capture-failed-error.ts';
import { changedAnything, summarizeActions, type GuestAction } from '../script/actions.ts';
import { runGuestScript } from '../script/run-guest-script.ts';
import { rebootGuest, rebootTimeout, shutdownGuest, shutdownTimeout } from '../system/power.ts';
import type { GeneralizationOperation, OperationScript } from './generalization-operation.ts';
import { reportEntry, reportTotals } from './generalization-report.ts';
import { selectOperations } from './operation-catalog.ts';

/** What one generalization operation did, with the individual changes. */
export interface LinuxOperationReport extends OperationReport {
  actions: GuestAction[];
}

/** Result of `LinuxOsModule.preCapture`. */
export interface LinuxPreCaptureResult extends PreCaptureResult {
  operations: LinuxOperationReport[];
  /** Always present here: per operation run, what it removed, emptied or changed. */
  report: GeneralizationReportEntry[];
}

const END_STATES: readonly EndState[] = ['on', 'off', 'reboot'];

/**
 * `LinuxOsModule.preCapture`: builds every selected operation's script before the first
 * command, runs them in catalog order under the node's lock, then applies the end state.
 */
export async function preCapture(context: ModuleContext, options: PreCaptureOptions): Promise<LinuxPreCaptureResult> {
  const node = checkNodeSpec(options.node);
  // Only an absent end state means the default: null is a caller's mistake, not "off".
  const endState = options.endState === undefined ? 'off' : options.endState;
  if (!END_STATES.includes(endState)) throw new InvalidInputError('endState', `expected one of ${END_STATES.join(', ')}`);
  const operationContext = { ...operationContextOf(context.options), endState };
  const selected = selectOperations(options.operations ?? context.options.operations, operationContext);
  const scripts: [string, OperationScript, GeneralizationOperation][] = selected.map((operation) => [operation.name, operation.build(operationContext), operation]);
  const runner = context.runner(node);
  const progress = context.progress('preCapture', node.name, options.onProgress);
  return context.serialized(node, options.signal, async () => {
    progress.step('generalizing', scripts.map(([name]) => name).join(', '));
    const reports: LinuxOperationReport[] = [];
    const report: GeneralizationReportEntry[] = [];
    for (const [index, [name, operation, { followUp }]] of scripts.entries()) {
      try {
        const run = async (script: OperationScript) => {
          const runOptions = { signal: options.signal, timeoutMs: commandTimeout(context), outputSecrets: script.secrets ?? [] };
          return runGuestScript(runner, script.script, script.stdin ? { ...runOptions, stdin: script.stdin } : runOptions);
        };
        const first = await run(operation);
        const actions = followUp ? [...first.actions, ...(await run(followUp(first.stdout, operationContext))).actions] : first.actions;
        const done: LinuxOperationReport = { name, changed: changedAnything(actions), detail: summarizeActions(actions), actions };
        reports.push(done);
        report.push(reportEntry(name, actions));
        progress.step(`operation-done`, `${name}: ${done.detail}`);
      } catch (error) {
        if (ProvkitError.hasCode(error, 'ABORTED')) throw error;
        throw new PreCaptureFailedError(name, error, reports, scripts.slice(index + 1).map(([later]) => later), endState);
      }
    }
    progress.step('generalized', `${reports.filter((done) => done.changed).length} of ${reports.length} operations changed the guest: ${reportTotals(report)}`);
    const hostKeysRemoved = reports.some((done) => done.name === 'ssh-hostkeys' && done.changed);
    if (endState === 'on' && hostKeysRemoved) {
      // The guest now answers with new host keys: drop the pooled connection and, under an
      // accept-new policy, the recorded old key, so the next command trusts the new ones.
      await context.options.runnerFor.forget?.(node);
      const keys = report.find((entry) => entry.operation === 'ssh-hostkeys')?.changed.filter((change) => /^(replaced|created) \/etc\/ssh\/ssh_host_/.test(change)) ?? [];
      progress.step('host-keys-replaced', keys.join('; '));
    }
    const power = { node, runner, signal: options.signal, onProgress: options.onProgress };
    if (endState === 'off') await shutdownGuest(context, { ...power, timeoutMs: shutdownTimeout(context, options.timeoutMs) });
    if (endState === 'reboot') await rebootGuest(context, { ...power, timeoutMs: rebootTimeout(context, options.timeoutMs), hostKeysRegenerated: hostKeysRemoved });
    progress.step('pre-capture-done', `end state ${endState}`);
    return { operations: reports, endState, report };
  });
}
