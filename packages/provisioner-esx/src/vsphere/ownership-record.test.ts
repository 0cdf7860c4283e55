import { describe, expect, it } from 'vitest';
import { captureTemporaryName, capturingRecord, decodeOwnership, DEFAULT_LEASE_MS, imageOfCaptureTemporary, leaseAlive, leaseRenewal, loadingRecord, operationAlive, parseOwner, readyRecord } from './ownership-record.ts';

describe('ownership record', () => {
  const operation = { id: 'abc123', owner: 'host-a/42', leaseMs: 60_000 };
  const at = Date.parse('2026-01-01T00:00:00.000Z');

  it('round-trips a loading record through extraConfig strings', () => {
    const extra = loadingRecord(operation, at + 60_000);
    expect(extra).toEqual({ 'provkit.operation': 'abc123', 'provkit.owner': 'host-a/42', 'provkit.state': 'loading', 'provkit.leaseUntil': '2026-01-01T00:01:00.000Z', 'provkit.leaseMs': '60000' });
    expect(decodeOwnership(extra)).toEqual({ operation: 'abc123', owner: 'host-a/42', state: 'loading', leaseUntil: at + 60_000, leaseMs: 60_000 });
  });

  it('a ready record has no lease; a renewal changes only the lease', () => {
    expect(decodeOwnership({ ...loadingRecord(operation, at), ...readyRecord() })).toEqual({ operation: 'abc123', owner: 'host-a/42', state: 'ready', leaseMs: 60_000 });
    expect(Object.keys(leaseRenewal(at))).toEqual(['provkit.leaseUntil']);
  });

  it('a VM without the record (made before it, or by hand) has no state and no running operation', () => {
    expect(decodeOwnership({ 'provkit.image': 'base-v1' })).toEqual({});
    expect(operationAlive(decodeOwnership({ 'provkit.image': 'base-v1' }), at)).toBe(false);
  });

  it('a loading operation is alive while its lease holds, or within one lease after its clone ended', () => {
    const record = decodeOwnership(loadingRecord(operation, at));
    expect(operationAlive(record, at - 1)).toBe(true);
    expect(operationAlive(record, at)).toBe(false);
    expect(operationAlive(record, at + 10_000, at)).toBe(true);
    expect(operationAlive(record, at + 60_000, at)).toBe(false);
    expect(operationAlive(decodeOwnership({ ...loadingRecord(operation, at), ...readyRecord() }), at - 1)).toBe(false);
  });

  it('a record without a lease length counts the default one after its clone', () => {
    const record = decodeOwnership({ 'provkit.state': 'loading', 'provkit.leaseUntil': new Date(at).toISOString() });
    expect(operationAlive(record, at + DEFAULT_LEASE_MS - 1, at)).toBe(true);
    expect(operationAlive(record, at + DEFAULT_LEASE_MS, at)).toBe(false);
  });
  it('a capture\'s temporary copy: its record names the copied VM, is no load\'s, and its lease is read alike', () => {
    const extra = capturingRecord(operation, at, 'vm-42');
    expect(extra).toMatchObject({ 'provkit.state': 'capturing', 'provkit.captureOf': 'vm-42', 'provkit.operation': 'abc123' });
    const record = decodeOwnership(extra);
    expect(record).toEqual({ operation: 'abc123', owner: 'host-a/42', leaseUntil: at, leaseMs: 60_000 });
    expect(operationAlive(record, at - 1)).toBe(false);
    expect(leaseAlive(record, at - 1)).toBe(true);
    expect(leaseAlive(record, at + 59_999, at)).toBe(true);
    expect(leaseAlive(record, at + 60_000, at)).toBe(false);
  });

  it('names a capture\'s temporary copy after its image, and reads no valid name as one', () => {
    expect(captureTemporaryName('web-v3', '0a1b')).toBe('web-v3~capture-0a1b');
    expect(imageOfCaptureTemporary('web-v3~capture-0a1b')).toBe('web-v3');
    for (const name of ['web-v3', 'capture-1', '~capture-1']) expect(imageOfCaptureTemporary(name)).toBeUndefined();
  });

  it('reads the owner as host and pid, and nothing else as one', () => {
    expect(parseOwner('build-7.example.org/4242')).toEqual({ host: 'build-7.example.org', pid: 4242 });
    expect(parseOwner('a/b/17')).toEqual({ host: 'a/b', pid: 17 });
    for (const owner of [undefined, '', 'host', 'host/', 'host/0', 'host/12x', '/12']) expect(parseOwner(owner)).toBeUndefined();
  });
});
