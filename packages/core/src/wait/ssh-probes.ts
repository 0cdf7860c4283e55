import { AbortedError, AuthenticationError, CommandFailedError, ConnectionError, HostKeyMismatchError, ProvkitError, TimeoutError } from '../errors/index.ts';

/**
 * The SSH-gone decision every OS module's waits share: the probe got no answer from sshd —
 * refused, reset, dropped (a command killed with no exit code) or silent until its bound. A
 * refused login or a changed host key is an answer (something is there), and an abort is the
 * caller's, so neither counts.
 */
export function isSshNotAnswering(error: unknown): boolean {
  if (error instanceof AbortedError || error instanceof AuthenticationError || error instanceof HostKeyMismatchError) return false;
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true;
  return error instanceof CommandFailedError && error.exitCode === null;
}

/**
 * The SSH-up decision every wait for a booting node shares: "not yet" (poll again) when SSH
 * does not answer ({@link isSshNotAnswering}) or the failure says it is worth retrying; a
 * refused login, a changed host key or an abort ends the wait.
 */
export function isSshNotUpYet(error: unknown): boolean {
  if (isSshNotAnswering(error)) return true;
  if (error instanceof AbortedError || error instanceof AuthenticationError || error instanceof HostKeyMismatchError) return false;
  return ProvkitError.isInstance(error) && error.isRetryable;
}
