import { abortableDelay, InvalidStateError, ProvkitError, TimeoutError, type NodeSpec, type OsModuleV1 } from '@provkit/core';
import type { KvmHost } from './kvm-host.ts';
import { isTransientHostFault } from './transient-fault.ts';

/** How often the domain's state is read while its guest boots (a stopped domain ends the wait). */
const BOOT_STATE_INTERVAL_MS = 2000;

/**
 * Waits until the guest runs a command over SSH: one call of the OS module's
 * `waitForResponse` for the whole bound, with the domain's state watched beside it, so a
 * domain that stops running ends the wait at once.
 *
 * One call, not a fresh one every few seconds: the module's banner probing learns that a
 * guest is slow to greet (each silent probe, given up, costs the guest the sshd it had just
 * forked) and lengthens its probe bound, and a fresh call would forget it. On a loaded host a
 * TCG guest that needs more than the first bound to greet was never heard (the 200-cycle soak
 * timed out at cycle 41 that way with the machine's load average at 9).
 */
export async function waitForBoot(host: KvmHost, node: NodeSpec, osModule: OsModuleV1, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const what = `SSH on node ${node.name} at ${node.address!.host}:${node.address!.port ?? 22}`;
  const ended = new AbortController();
  const wait = signal ? AbortSignal.any([signal, ended.signal]) : ended.signal;
  let stopped: Error | undefined;
  const watch = (async () => {
    while (!wait.aborted) {
      try {
        const state = await host.domainState(node.name, { signal: wait });
        if (state !== 'running') stopped = new InvalidStateError(`node ${node.name} is ${state ?? 'no longer defined'} while booting`);
      } catch (error) {
        // libvirtd restarting or the host's SSH lost for a moment: asked again next round.
        if (!wait.aborted && !isTransientHostFault(error)) stopped = error instanceof Error ? error : new Error(String(error));
      }
      if (stopped) return ended.abort(stopped);
      await abortableDelay(BOOT_STATE_INTERVAL_MS, wait, what).catch(() => undefined);
    }
  })();
  try {
    await osModule.waitForResponse({ node, timeoutMs, signal: wait });
  } catch (error) {
    if (stopped) throw stopped;
    // Named as the load's wait (the node and its forwarded address), with the module's last word.
    if (ProvkitError.hasCode(error, 'TIMEOUT')) throw new TimeoutError(what, timeoutMs, error.message, { cause: error });
    throw error;
  } finally {
    ended.abort();
    await watch;
  }
}
