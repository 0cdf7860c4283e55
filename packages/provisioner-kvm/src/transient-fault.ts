import { ProvkitError } from '@provkit/core';

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
