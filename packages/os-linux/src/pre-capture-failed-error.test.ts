import { ConnectionError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { PreCaptureFailedError } from './pre-capture-failed-error.ts';

describe('PreCaptureFailedError', () => {
  it('says what ran and that the end state was not applied, without claiming a power state it cannot know', () => {
    // The first operation could not reach the guest at all: it may well be powered off.
    const error = new PreCaptureFailedError('logfiles', new ConnectionError('127.0.0.1:2201', 'connect ECONNREFUSED'), [], ['machine-id'], 'off');
    expect(error).toMatchObject({ code: 'OPERATION_FAILED', operation: 'preCapture', step: 'logfiles', notRun: ['machine-id'], endState: 'off' });
    expect(error.message).toContain("completed none; logfiles failed partway; not run: machine-id; end state off not applied: preCapture changed nothing about the guest's power");
    expect(error.message).not.toMatch(/powered on|left on/);
  });
});
