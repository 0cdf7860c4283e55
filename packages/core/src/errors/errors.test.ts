import { describe, expect, it } from 'vitest';
import { AbortedError, CaptureFailedError, CommandFailedError, ConnectionError, HostStorageFullError, ImageExistsError, InvalidInputError, OperationFailedError, TimeoutError, TlsVerificationFailedError } from './errors.ts';
import { isProvkitErrorCode, PROVKIT_ERROR_CODES, ProvkitError } from './provkit-error.ts';

describe('ProvkitError', () => {
  it('is recognised by its Symbol.for marker, also when thrown by another copy of core', () => {
    const error = new InvalidInputError('node.name', 'bad');
    expect(ProvkitError.isInstance(error)).toBe(true);
    // Another copy of the package has another class, but the same global symbol.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('provkit.error')]: true, code: 'TIMEOUT' });
    expect(ProvkitError.isInstance(foreign)).toBe(true);
    expect(ProvkitError.hasCode(foreign, 'TIMEOUT')).toBe(true);
    expect(ProvkitError.isInstance(new Error('plain'))).toBe(false);
    expect(ProvkitError.isInstance(undefined)).toBe(false);
  });

  it('recognises a look-alike from another copy of core by code, with the facts its class carries, where instanceof fails', () => {
    // What another copy's CommandFailedError is here: the same global marker, code and fields, another class.
    const foreignMarker = Symbol.for('provkit.error');
    class ForeignCommandFailed extends Error {
      readonly [foreignMarker] = true;
      readonly code = 'COMMAND_FAILED';
      readonly isRetryable = false;
      readonly exitCode = null;
      readonly stderrTail = 'Connection reset by peer';
    }
    const foreign: unknown = new ForeignCommandFailed('Command on root@kvm1:22 was killed by a signal');
    expect(foreign).not.toBeInstanceOf(CommandFailedError);
    expect(ProvkitError.hasCode(foreign, 'TIMEOUT')).toBe(false);
    if (!ProvkitError.hasCode(foreign, 'COMMAND_FAILED')) throw new Error('a look-alike COMMAND_FAILED was not recognised');
    // Narrowed by code: the class's facts are typed (possibly absent, as from an older copy).
    const facts: { exitCode?: number | null; stderrTail?: string } = foreign;
    expect(facts).toMatchObject({ exitCode: null, stderrTail: 'Connection reset by peer' });
    // A plain object with the right code but no marker is not a provkit error.
    expect(ProvkitError.hasCode({ code: 'COMMAND_FAILED', exitCode: 1 }, 'COMMAND_FAILED')).toBe(false);
  });

  it('names the field of invalid input and carries codes and retryability per kind', () => {
    const invalid = new InvalidInputError('size.memoryBytes', 'must be positive');
    expect(invalid).toMatchObject({ code: 'INVALID_INPUT', field: 'size.memoryBytes', isRetryable: false });
    expect(invalid.message).toBe('Invalid size.memoryBytes: must be positive');
    const timeout = new TimeoutError('SSH on node web-1', 5000, 'connection refused');
    expect(timeout).toMatchObject({ code: 'TIMEOUT', isRetryable: true, awaited: 'SSH on node web-1', lastState: 'connection refused' });
    expect(timeout.message).toContain('SSH on node web-1');
    expect(timeout.message).toContain('connection refused');
    expect(new ImageExistsError('base-v1').code).toBe('IMAGE_EXISTS');
    const tls = new TlsVerificationFailedError('vcenter.example.org:443', 'certificate SHA256 AB:CD', 'SHA256 EF:01');
    expect(tls).toMatchObject({ code: 'TLS_VERIFICATION_FAILED', name: 'TlsVerificationFailedError', isRetryable: false, host: 'vcenter.example.org:443', expected: 'certificate SHA256 AB:CD', actual: 'SHA256 EF:01' });
    expect(tls.message).toBe('TLS certificate of vcenter.example.org:443 is SHA256 EF:01, expected certificate SHA256 AB:CD; refusing to connect');
  });

  it('says which step of an operation failed and inherits retryability from the cause', () => {
    const cause = new TimeoutError('SSH on node n1', 1000);
    const failed = new OperationFailedError('load', 'machine-booted', cause);
    expect(failed).toMatchObject({ code: 'OPERATION_FAILED', operation: 'load', step: 'machine-booted', isRetryable: true, cause });
    expect(failed.message).toBe(`load failed at step machine-booted: ${cause.message}`);
    const command = new CommandFailedError({ command: 'virsh start n1', target: 'local', exitCode: 1, stderrTail: 'error: no domain' });
    expect(new OperationFailedError('load', 'powered-on', command, new Error('undefine failed')).message).toContain('cleanup also failed: undefine failed');
  });

  it("says a capture's step and the node's state after it, and gives a full host filesystem its own code", () => {
    const partly = new CaptureFailedError('web-1', 'pre-capture', new AbortedError('capture of web-1'), { power: 'off', generalized: 'partly' });
    expect(partly).toBeInstanceOf(OperationFailedError);
    expect(partly).toMatchObject({ code: 'OPERATION_FAILED', operation: 'capture', step: 'pre-capture', node: 'web-1', nodeState: { power: 'off', generalized: 'partly' } });
    expect(ProvkitError.reasonCode(partly)).toBe('ABORTED');
    expect(partly.message).toBe('capture failed at step pre-capture: Aborted: capture of web-1. Node web-1 is now powered off, partly generalized (a retry boots it and generalizes it again)');
    const full = new HostStorageFullError('root@kvm1:22', '/lib/.web-v2.qcow2.part-1a2b', { cause: new CommandFailedError({ command: 'qemu-img convert', target: 'root@kvm1:22', exitCode: 1, stderrTail: 'No space left on device' }) });
    expect(full).toMatchObject({ code: 'HOST_STORAGE_FULL', target: 'root@kvm1:22', path: '/lib/.web-v2.qcow2.part-1a2b', isRetryable: false });
    const copy = new CaptureFailedError('web-1', 'copy-disk', full, { power: 'off', generalized: 'yes' });
    expect(ProvkitError.reasonCode(copy)).toBe('HOST_STORAGE_FULL');
    expect(copy.message).toContain('Node web-1 is now powered off, generalized and shut down for capture (a retry copies its disk without generalizing again)');
    expect(new CaptureFailedError('web-1', 'copy-disk', full, { power: 'unknown', generalized: 'unknown' }).message).toContain('Node web-1 is now in a power state the host did not report, of unknown generalization');
  });

  it('marks a connection to a host name that does not resolve as not retryable, however deep the cause', () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND vcenter.invalid'), { code: 'ENOTFOUND' });
    expect(new ConnectionError('vcenter.invalid', 'fetch failed', { cause: new TypeError('fetch failed', { cause: dns }) }).isRetryable).toBe(false);
    expect(new ConnectionError('h', 'refused', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }).isRetryable).toBe(true);
    expect(new ConnectionError('h', 'temporary', { cause: Object.assign(new Error('getaddrinfo EAI_AGAIN h'), { code: 'EAI_AGAIN' }) }).isRetryable).toBe(true);
  });

  it('has one list of codes: every code is UPPER_SNAKE and listed once, and a code read off the wire is checked against it', () => {
    for (const code of PROVKIT_ERROR_CODES) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
    expect(new Set(PROVKIT_ERROR_CODES).size).toBe(PROVKIT_ERROR_CODES.length);
    expect(isProvkitErrorCode('NODE_NOT_MANAGED')).toBe(true);
    expect(isProvkitErrorCode('TLS_VERIFICATION_FAILED')).toBe(true);
    expect(isProvkitErrorCode('CERTIFICATE_REFUSED')).toBe(false);
    expect(isProvkitErrorCode(undefined)).toBe(false);
  });
});
