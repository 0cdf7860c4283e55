import { CommandFailedError, ConnectionError, AbortedError, InvalidInputError, TimeoutError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { newIntentRecord, nodeStatePaths, parseIntentRecord, serializeIntentRecord } from './intent-record.ts';
import { lockPathsNamedIn } from './leftovers.ts';
import { isTransientHostFault } from './transient-fault.ts';

const DIR = '/var/lib/libvirt/images/nodes';

describe('intent records', () => {
  it('round-trip, with a unique id, this process and the paths given', () => {
    const record = newIntentRecord({ operation: 'load', node: 'web-1', domain: 'web-1', paths: [`${DIR}/web-1.qcow2`], image: 'centos-v3' });
    expect(parseIntentRecord(serializeIntentRecord(record), DIR)).toEqual(record);
    expect(record).toMatchObject({ version: 1, pid: process.pid });
    expect(newIntentRecord({ operation: 'load', node: 'web-1', domain: 'web-1', paths: [] }).id).not.toBe(record.id);
  });

  it('refuses (typed) anything that is not a record, and any path outside the node disk directory', () => {
    const good = newIntentRecord({ operation: 'load', node: 'n', domain: 'n', paths: [`${DIR}/n.qcow2`] });
    for (const text of ['not json', '{}', JSON.stringify({ ...good, version: 2 }), JSON.stringify({ ...good, paths: ['/etc/passwd'] }), JSON.stringify({ ...good, paths: [`${DIR}/../library/x-v1.qcow2`] }), JSON.stringify({ ...good, paths: [`${DIR}/sub/n.qcow2`] }), JSON.stringify({ ...good, paths: [`${DIR}x/n.qcow2`] })]) {
      expect(() => parseIntentRecord(text, DIR), text).toThrow(expect.objectContaining({ code: 'UNEXPECTED_OUTPUT' }));
    }
  });

  it('live in a hidden directory of the node disk directory, beside the node lock', () => {
    expect(nodeStatePaths(DIR, 'web-1')).toEqual({ lock: `${DIR}/.provkit/web-1.lock`, intent: `${DIR}/.provkit/web-1.intent.json` });
  });
});

describe('lockPathsNamedIn', () => {
  it('names the node and image locks of the files a qemu-img command line writes in our directories', () => {
    const where = { libraryDir: '/lib', nodeDiskDir: DIR };
    expect(lockPathsNamedIn(`qemu-img convert -c -O qcow2 ${DIR}/web-1.qcow2 /lib/.centos-v3.qcow2.part-0a1b2c3d`, where)).toEqual([`${DIR}/.provkit/web-1.lock`, '/lib/.provkit/centos-v3.lock']);
    expect(lockPathsNamedIn('qemu-img convert /elsewhere/a.qcow2 /tmp/b.qcow2', where)).toEqual([]);
    // makeIndependent's offline rebase works on a hidden temp copy of the node's disk: the node's lock.
    expect(lockPathsNamedIn(`qemu-img rebase -q -f qcow2 -b  ${DIR}/.web-1.qcow2.part-0a1b2c3d`, where)).toEqual([`${DIR}/.provkit/web-1.lock`]);
  });
});

describe('isTransientHostFault', () => {
  const failed = (stderrTail: string): CommandFailedError => new CommandFailedError({ command: 'virsh domstate x', target: 'h', exitCode: 1, stderrTail });
  it('retries a daemon that could not be reached, a lost connection and a timeout; never an abort or a real refusal', () => {
    expect(isTransientHostFault(failed('error: failed to connect to the hypervisor'))).toBe(true);
    expect(isTransientHostFault(new ConnectionError('h', 'reset'))).toBe(true);
    expect(isTransientHostFault(new TimeoutError('virsh', 1000))).toBe(true);
    expect(isTransientHostFault(failed("error: Requested operation is not valid: domain is not running"))).toBe(false);
    expect(isTransientHostFault(new AbortedError('load'))).toBe(false);
    expect(isTransientHostFault(new InvalidInputError('node', 'bad'))).toBe(false);
    expect(isTransientHostFault(new Error('bug'))).toBe(false);
  });
});
