import {
  ConnectionError,
  InvalidStateError,
  ProvkitError,
  waitFor,
  type EndState,
  type NodeSpec,
} from '@provkit/core';
import type { CommandResult } from '@provkit/runners';
import type { PsFragment } from '../powershell/quote.ts';
import { imageStateScript, probeScript, PROBE_ANSWER } from '../scripts/power-scripts.ts';
import { outputValue, parseImageState } from '../script-output.ts';
import { abortable, isGone, isTransientProbeError, keepLastState } from './wait-helpers.ts';
import type { RunSpec } from '../powershell/script-transport.ts';

/** `ImageState` once Sysprep generalized the image and sealed it for OOBE. */
export const GENERALIZED_IMAGE_STATE = 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE';

/** What the bounded waits on one node need from the module. */
export interface WaitContext {
  node: NodeSpec;
  /** Runs one script on the node, as the module does. */
  run: (script: PsFragment, spec?: RunSpec) => Promise<CommandResult>;
  commandTimeoutMs: number;
  pollDelay: { initial?: number; max?: number };
}

/** Bounded wait for Sysprep to reach the end state; fails fast when Sysprep stopped without generalizing. */
export async function waitForSysprep(context: WaitContext, endState: EndState, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const wantsGone = endState !== 'on';
  await waitFor({
    what: endState === 'on' ? `ImageState ${GENERALIZED_IMAGE_STATE} on node ${context.node.name}` : `node ${context.node.name} to go down after Sysprep`,
    timeoutMs,
    signal,
    initialDelayMs: context.pollDelay.initial ?? 1000,
    maxDelayMs: context.pollDelay.max ?? 10_000,
    isTransient: (error) => ProvkitError.hasCode(error, 'COMMAND_FAILED'),
    poll: keepLastState(signal, async ({ signal: pollSignal }) => {
      let report;
      try {
        report = parseImageState((await context.run(imageStateScript(), { signal: pollSignal, timeoutMs: Math.min(context.commandTimeoutMs, 60_000) })).stdout);
      } catch (error) {
        if (wantsGone && isGone(error)) return { done: true, value: undefined };
        throw error;
      }
      const generalized = report.state === GENERALIZED_IMAGE_STATE;
      if (!report.sysprepRunning && !generalized) {
        const log = report.errors.length > 0 ? `; setuperr.log: ${report.errors.join(' | ')}` : '';
        throw new InvalidStateError(`Sysprep stopped without generalizing (ImageState ${report.state || 'unknown'})${log}`);
      }
      if (!wantsGone && generalized && !report.sysprepRunning) return { done: true, value: undefined };
      return { done: false, state: `ImageState ${report.state}, sysprep ${report.sysprepRunning ? 'running' : 'stopped'}` };
    }),
  });
}

/** Bounded wait until the probe answers with a boot time `accept` takes. */
export async function waitForBoot(context: WaitContext, timeoutMs: number, signal: AbortSignal | undefined, accept: (boot: string) => boolean): Promise<string> {
  return waitFor({
    what: `SSH and PowerShell on node ${context.node.name}`,
    timeoutMs,
    signal,
    initialDelayMs: context.pollDelay.initial ?? 250,
    maxDelayMs: context.pollDelay.max ?? 2000,
    isTransient: isTransientProbeError,
    poll: keepLastState(signal, async ({ signal: pollSignal }) => {
      const boot = await probe(context, pollSignal, Math.min(context.commandTimeoutMs, timeoutMs, 60_000));
      return accept(boot) ? { done: true, value: boot } : { done: false, state: `still the boot of ${boot}` };
    }),
  });
}

/** Bounded wait until SSH stops answering (connection refused, reset or timed out). */
export async function waitForGone(context: WaitContext, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  await waitFor({
    what: `node ${context.node.name} to stop answering SSH`,
    timeoutMs,
    signal,
    initialDelayMs: context.pollDelay.initial ?? 500,
    maxDelayMs: context.pollDelay.max ?? 2000,
    isTransient: (error) => ProvkitError.hasCode(error, 'COMMAND_FAILED'),
    poll: keepLastState(signal, async ({ signal: pollSignal }) => {
      try {
        await probe(context, pollSignal, Math.min(context.commandTimeoutMs, timeoutMs, 30_000));
      } catch (error) {
        if (isGone(error) && !pollSignal.aborted) return { done: true, value: undefined };
        throw error;
      }
      return { done: false, state: 'still answering' };
    }),
  });
}

/** Runs the probe script; returns the boot time it reports. */
export async function probe(context: WaitContext, signal: AbortSignal | undefined, timeoutMs: number): Promise<string> {
  const result = await abortable(context.run(probeScript(), { signal, timeoutMs }), signal, `probe of node ${context.node.name}`);
  if (!result.stdout.includes(PROBE_ANSWER)) throw new ConnectionError(context.node.name, 'PowerShell did not answer the probe', { isRetryable: true });
  return outputValue(result.stdout, 'boot') ?? '';
}
