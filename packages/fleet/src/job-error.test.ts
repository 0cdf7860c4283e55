import { CommandFailedError, ImageNotFoundError, InvalidInputError, OperationFailedError, ProvkitError, Secret, TimeoutError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { FleetRemoteError, reconstructError, serializeError } from './job-error.ts';

/** What crosses Redis: the serialized error as JSON text. */
function roundTrip(error: unknown): FleetRemoteError {
  return reconstructError(JSON.parse(JSON.stringify(serializeError(error))), 'job-1');
}

describe('error reconstruction', () => {
  it('keeps code, step, operation, retryability and message of a failed load, and its cause', () => {
    const original = new OperationFailedError('load', 'machine-booted', new TimeoutError('SSH on node web-1', 1000, 'refused'));
    const rebuilt = roundTrip(original);
    expect(rebuilt).toBeInstanceOf(FleetRemoteError);
    expect(ProvkitError.isInstance(rebuilt)).toBe(true);
    expect(rebuilt).toMatchObject({ code: 'OPERATION_FAILED', step: 'machine-booted', operation: 'load', isRetryable: true, remoteName: 'OperationFailedError', message: original.message, jobId: 'job-1' });
    expect(ProvkitError.reasonCode(rebuilt)).toBe('TIMEOUT');
    expect((rebuilt.cause as FleetRemoteError).remoteName).toBe('TimeoutError');
  });

  it('keeps the refused field of bad input and a plain error becomes UNEXPECTED', () => {
    expect(roundTrip(new InvalidInputError('image', 'is wrong'))).toMatchObject({ code: 'INVALID_INPUT', field: 'image', isRetryable: false });
    expect(roundTrip(new ImageNotFoundError('a-v1'))).toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect(roundTrip(new Error('boom'))).toMatchObject({ code: 'UNEXPECTED', message: 'boom', remoteName: 'Error' });
    expect(roundTrip('text')).toMatchObject({ code: 'UNEXPECTED', message: 'text' });
  });

  it('carries no stack and no secret', () => {
    const secret = Secret.of('hunter2');
    const failure = new CommandFailedError({ command: `useradd --password ${secret}`, target: 'root@n:22', exitCode: 1, stderrTail: `bad ${secret}` });
    const text = JSON.stringify(serializeError(new OperationFailedError('createUser', 'useradd', failure)));
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).not.toContain('"stack"');
  });
});
