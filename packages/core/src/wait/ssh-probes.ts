import { ProvkitError } from '../errors/index.ts';

/** A refused login or a changed host key (sshd answered), or the caller's abort. */
function isAnswerOrAbort(error: unknown): boolean {
  return ProvkitError.hasCode(error, 'ABORTED') || ProvkitError.hasCode(error, 'AUTHENTICATION_FAILED') || ProvkitError.hasCode(error, 'HOST_KEY_MISMATCH');
}

/**
 * The SSH-gone decision every OS module's waits share: the probe got no answer from sshd —
 * refused, reset, dropped (a command killed with no exit code) or silent until its bound. A
 * refused login or a changed host key is an answer (something is there), and an abort is the
 * caller's, so neither counts.
 */
export function isSshNotAnswering(error: unknown): boolean {
  if (isAnswerOrAbort(error)) return false;
  if (ProvkitError.hasCode(error, 'CONNECTION_FAILED') || ProvkitError.hasCode(error, 'TIMEOUT')) return true;
  return ProvkitError.hasCode(error, 'COMMAND_FAILED') && error.exitCode === null;
}

/**
 * The SSH-up decision every wait for a booting node shares: "not yet" (poll again) when SSH
 * does not answer ({@link isSshNotAnswering}) or the failure says it is worth retrying; a
 * refused login, a changed host key or an abort ends the wait.
 */
export function isSshNotUpYet(error: unknown): boolean {
  if (isSshNotAnswering(error)) return true;
  if (isAnswerOrAbort(error)) return false;
  return ProvkitError.isInstance(error) && error.isRetryable;
}
