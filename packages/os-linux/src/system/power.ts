import {
  checkNodeSpec,
  isSshNotAnswering,
  isSshNotUpYet,
  ProvkitError,
  waitFor,
  type NodeSpec,
  type ProgressEvent,
  type WaitOptions,
} from '@provkit/core';
import { waitForSshGreeting, type CommandRunner } from '@provkit/runners';
import { commandTimeout, type ModuleContext } from '../module/module-context.ts';
import { bootIdScript, powerScript } from './system-scripts.ts';

/**
 * `LinuxOsModule.waitForResponse`: probes the node's SSH port for the server's banner every
 * 100 ms (a booting guest is seen within one interval, not after a grown backoff), then polls,
 * bounded, until a command runs over SSH, the first login on the connection that greeted.
 */
export async function waitForResponse(context: ModuleContext, options: WaitOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const runner = context.runner(node);
  const timeoutMs = options.timeoutMs ?? context.options.timeouts?.responseMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  if (node.address) {
    const greeting = await waitForSshGreeting({
      what: `the SSH banner of node ${node.name}`,
      host: node.address.host,
      port: node.address.port ?? 22,
      timeoutMs,
      signal: options.signal,
    });
    // The login runs on the greeted connection where the runner can take it (one accept less).
    if (runner.adoptConnection) runner.adoptConnection(greeting.socket);
    else greeting.socket.destroy();
  }
  await waitFor({
    what: `SSH on node ${node.name}`,
    timeoutMs: Math.max(1, deadline - Date.now()),
    signal: options.signal,
    // The banner is there: login should follow at once; sshd may still be finishing its start.
    initialDelayMs: 100,
    maxDelayMs: 250,
    poll: async ({ signal }) => {
      await runner.run(['true'], { signal, timeoutMs: 15_000 });
      return { done: true, value: undefined };
    },
    // Before sshd is up a node refuses, resets or drops connections; all mean "not yet" (core's one decision).
    isTransient: isSshNotUpYet,
  });
}

/** The bound of a shutdown: the call's, else `timeouts.shutdownMs`, else 180 000. */
export function shutdownTimeout(context: ModuleContext, timeoutMs: number | undefined): number {
  return timeoutMs ?? context.options.timeouts?.shutdownMs ?? 180_000;
}

/** The bound of a reboot: the call's, else `timeouts.rebootMs`, else 300 000. */
export function rebootTimeout(context: ModuleContext, timeoutMs: number | undefined): number {
  return timeoutMs ?? context.options.timeouts?.rebootMs ?? 300_000;
}

/** `LinuxOsModule.shutdown`, under the node's lock. */
export async function shutdown(context: ModuleContext, options: WaitOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const runner = context.runner(node);
  await context.serialized(node, options.signal, () => shutdownGuest(context, { node, runner, timeoutMs: shutdownTimeout(context, options.timeoutMs), signal: options.signal }));
}

/** `LinuxOsModule.reboot`, under the node's lock. */
export async function reboot(context: ModuleContext, options: WaitOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const runner = context.runner(node);
  await context.serialized(node, options.signal, () => rebootGuest(context, { node, runner, timeoutMs: rebootTimeout(context, options.timeoutMs), signal: options.signal }));
}

/** What {@link shutdownGuest} and {@link rebootGuest} act on, and for how long. */
export interface GuestPowerOptions {
  node: NodeSpec;
  runner: CommandRunner;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /**
   * The calling operation's `onProgress` when the power step is part of it (preCapture's end
   * state): its caller sees the shutdown or reboot steps too, as the module's events do.
   */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** Powers the guest off and waits (bounded) until its SSH stops answering. */
export async function shutdownGuest(context: ModuleContext, { node, runner, timeoutMs, signal, onProgress }: GuestPowerOptions): Promise<void> {
  const progress = context.progress('shutdown', node.name, onProgress);
  await runner.run(powerScript('poweroff'), { signal, timeoutMs: commandTimeout(context) });
  progress.step('shutdown-requested');
  await waitFor({
    what: `node ${node.name} to stop answering SSH after poweroff`,
    timeoutMs,
    signal,
    initialDelayMs: 500,
    poll: async ({ signal: pollSignal }) => {
      try {
        await runner.run(['true'], { signal: pollSignal, timeoutMs: 10_000 });
        return { done: false, state: 'SSH still answers' };
      } catch (error) {
        if (signal?.aborted) throw error;
        // Refused, reset, dropped or silent: SSH no longer answers (core's one decision). Any
        // other error (a changed host key, refused credentials) means something still answers.
        if (pollSignal.aborted) return { done: false, state: 'SSH still answered at the deadline' };
        if (isSshNotAnswering(error)) return { done: true, value: undefined };
        throw error;
      }
    },
  });
  progress.step('powered-off');
}

/**
 * Reboots the guest and waits (bounded) until SSH answers from a new boot (the kernel's boot
 * id changed); with `hostKeysRegenerated`, an answer under new host keys counts too.
 */
export async function rebootGuest(
  context: ModuleContext,
  { node, runner, timeoutMs, signal, onProgress, hostKeysRegenerated = false }: GuestPowerOptions & { hostKeysRegenerated?: boolean },
): Promise<void> {
  const progress = context.progress('reboot', node.name, onProgress);
  const run = { signal, timeoutMs: commandTimeout(context) };
  const before = (await runner.run(bootIdScript(), run)).stdout.trim();
  await runner.run(powerScript('reboot'), run);
  progress.step('reboot-requested');
  const how = await waitFor({
    what: `node ${node.name} to answer SSH from a new boot`,
    timeoutMs,
    signal,
    initialDelayMs: 500,
    poll: async ({ signal: pollSignal }) => {
      try {
        const now = (await runner.run(bootIdScript(), { signal: pollSignal, timeoutMs: 10_000 })).stdout.trim();
        return now !== before && now !== '' ? { done: true, value: `boot id ${now}` } : { done: false, state: 'still the boot before the reboot' };
      } catch (error) {
        // After ssh-hostkeys the new boot answers with new host keys: that is sshd up again.
        if (ProvkitError.hasCode(error, 'HOST_KEY_MISMATCH') && hostKeysRegenerated) return { done: true, value: `new host key ${error.actual ?? 'unknown'}` };
        if (isSshNotUpYet(error) && !signal?.aborted) {
          return { done: false, state: error instanceof Error ? error.message : String(error) };
        }
        throw error;
      }
    },
  });
  progress.step('rebooted', how);
}
