import { describe, expect, it } from 'vitest';
import { AbortedError, AuthenticationError, CommandFailedError, ConnectionError, HostKeyMismatchError, InvalidStateError, TimeoutError } from '../errors/index.ts';
import { isSshNotAnswering, isSshNotUpYet } from './ssh-probes.ts';

const failed = (exitCode: number | null) => new CommandFailedError({ command: 'true', target: 'root@node:22', exitCode, stderrTail: '' });

describe('SSH probes (the one SSH-up / SSH-gone decision)', () => {
  it('counts refused, reset, dropped and silent as "SSH does not answer"', () => {
    expect(isSshNotAnswering(new ConnectionError('node', 'ECONNREFUSED'))).toBe(true);
    expect(isSshNotAnswering(new TimeoutError('SSH on node', 10_000))).toBe(true);
    expect(isSshNotAnswering(failed(null))).toBe(true);
  });

  it('takes a refused login, a changed host key, an exit code or an abort as an answer or an end', () => {
    expect(isSshNotAnswering(new AuthenticationError('node', 'denied'))).toBe(false);
    expect(isSshNotAnswering(new HostKeyMismatchError('node', 'SHA256:a', 'SHA256:b'))).toBe(false);
    expect(isSshNotAnswering(failed(1))).toBe(false);
    expect(isSshNotAnswering(new AbortedError('probe'))).toBe(false);
  });

  it('waits on for a node that is not up yet, or a retryable failure, and stops on an answer that will not change', () => {
    expect(isSshNotUpYet(new ConnectionError('node', 'ECONNRESET'))).toBe(true);
    expect(isSshNotUpYet(new InvalidStateError('busy', { isRetryable: true }))).toBe(true);
    expect(isSshNotUpYet(new InvalidStateError('broken'))).toBe(false);
    expect(isSshNotUpYet(new AuthenticationError('node', 'denied'))).toBe(false);
    expect(isSshNotUpYet(new AbortedError('probe'))).toBe(false);
    expect(isSshNotUpYet(new Error('not provkit'))).toBe(false);
  });
});
