import { ProvkitError, waitFor } from '@provkit/core';

/**
 * libvirt's words when virsh could not reach the daemon (libvirtd restarting, its socket gone
 * for a moment): the host is fine, the call can be made again.
 */
const HYPERVISOR_UNREACHABLE = /failed to connect to the hypervisor|failed to connect socket|Cannot recv data|End of file while reading data|client socket is closed|no connection driver available/i;

/**
 * Whether a host call failed for a reason that may pass (daemon restarting, SSH connection lost,
 * a command timed out on a frozen connection), so the same call may be retried — with a new
 * connection, which the runner's pool opens by itself — within the caller's bound. An abort is
 * never transient.
 */
export function isTransientHostFault(error: unknown): boolean {
  if (!ProvkitError.isInstance(error) || error.code === 'ABORTED') return false;
  if (error.code === 'CONNECTION_FAILED' || error.code === 'TIMEOUT') return true;
  if (error.code === 'COMMAND_FAILED') return HYPERVISOR_UNREACHABLE.test(error.message);
  return error.isRetryable;
}

/** How long a clean-up may keep retrying through transient faults (and its default bound). */
export const CLEANUP_TIMEOUT_MS = 120_000;

/**
 * Runs `task` until it succeeds, again (each try with its own signal) while it fails with a
 * {@link isTransientHostFault transient fault}, within {@link CLEANUP_TIMEOUT_MS}; any other
 * failure, or the bound, ends it with that error.
 */
export function retryThroughFaults(what: string, task: (signal: AbortSignal) => Promise<void>): Promise<void> {
  return waitFor({
    what,
    timeoutMs: CLEANUP_TIMEOUT_MS,
    initialDelayMs: 250,
    maxDelayMs: 5000,
    isTransient: isTransientHostFault,
    poll: async ({ signal }) => {
      await task(signal);
      return { done: true, value: undefined };
    },
  });
}
