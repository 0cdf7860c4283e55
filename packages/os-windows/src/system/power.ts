import type { NodeSpec, WaitOptions } from '@provkit/core';
import { powerScript } from '../scripts/power-scripts.ts';
import { probe, waitForBoot, waitForGone } from './node-waits.ts';
import { waitContextOf, type ModuleContext } from '../module/module-context.ts';

/** Bounded wait until PowerShell answers over SSH on the node. */
export async function waitForResponse(context: ModuleContext, node: NodeSpec, options: WaitOptions): Promise<void> {
  await waitForBoot(waitContextOf(context, node), options.timeoutMs ?? context.settings.waitTimeoutMs, options.signal, () => true);
}

/** Shuts the guest down and waits until SSH stops answering. */
export async function shutdown(context: ModuleContext, node: NodeSpec, options: WaitOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? context.settings.waitTimeoutMs;
  await context.serialized(node, options.signal, async () => {
    await context.run(node, powerScript('shutdown', context.settings.shutdownDelaySeconds), { signal: options.signal });
    await waitForGone(waitContextOf(context, node), timeoutMs, options.signal);
    context.progress('shutdown', node.name).step('shut-down');
  });
}

/** Restarts the guest and waits until it answers from a new boot. */
export async function reboot(context: ModuleContext, node: NodeSpec, options: WaitOptions): Promise<void> {
  await context.serialized(node, options.signal, () => rebootAndWait(context, node, options.timeoutMs ?? context.settings.waitTimeoutMs, options.signal));
  context.progress('reboot', node.name).step('rebooted');
}

/** Restarts and waits for a different boot time, so the old boot answering late is not mistaken for the new one. */
export async function rebootAndWait(context: ModuleContext, node: NodeSpec, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const waits = waitContextOf(context, node);
  const before = await probe(waits, signal, Math.min(context.settings.commandTimeoutMs, 60_000));
  await context.run(node, powerScript('reboot', context.settings.shutdownDelaySeconds), { signal });
  await waitForBoot(waits, timeoutMs, signal, (boot) => boot !== before);
}
