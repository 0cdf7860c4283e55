import { describe, expect, it } from 'vitest';
import { buildCaptureRecord, diskFingerprintCommand, isNoMetadata, parseCaptureRecord } from './capture-record.ts';

describe('capture record', () => {
  it('round-trips through the element virsh metadata stores and prints back (libvirt re-quotes attributes)', () => {
    const record = { image: 'web-v3', phase: 'generalized' as const, disk: '2883584 1796310860.477822275' };
    const element = buildCaptureRecord(record);
    expect(element).toBe('<capture image="web-v3" phase="generalized" disk="2883584 1796310860.477822275"/>');
    expect(parseCaptureRecord(`${element}\n`)).toEqual(record);
    // As libvirt 9.0 prints it back, with the prefix it was given on --key.
    expect(parseCaptureRecord("<provkitcapture:capture image='web-v3' phase='generalizing'/>\n")).toEqual({ image: 'web-v3', phase: 'generalizing' });
  });

  it('reads no output as no record, and refuses a record it cannot read rather than guess', () => {
    expect(parseCaptureRecord('\n')).toBeUndefined();
    expect(() => parseCaptureRecord('<capture image="web-v3" phase="done"/>')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT' }));
    expect(() => parseCaptureRecord('<other/>')).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT' }));
  });

  it("tells virsh's 'no such element' apart from other failures, and fingerprints a disk by size and nanosecond mtime", () => {
    expect(isNoMetadata('error: metadata not found: Requested metadata element is not present')).toBe(true);
    expect(isNoMetadata('error: failed to get domain \'x\'')).toBe(false);
    expect(diskFingerprintCommand('/n/web-1.qcow2')).toEqual(['stat', '--format=%s %.9Y', '--', '/n/web-1.qcow2']);
  });
});
