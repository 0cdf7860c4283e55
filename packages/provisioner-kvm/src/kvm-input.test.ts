import { createEmitter, InvalidInputError } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { KvmProvisioner } from './kvm-provisioner.ts';

/** Records every attempt to reach the host: input checks must refuse before any. */
function recordingRunner(calls: string[]): CommandRunner {
  const record = async (): Promise<never> => {
    calls.push('called');
    throw new Error('no command may run');
  };
  return { target: 'root@kvm:22', events: createEmitter(), run: record, writeFile: record, uploadFile: record, downloadFile: record };
}

const node = { name: 'web-1', address: { host: '127.0.0.1', port: 2222 } };

describe('KvmProvisioner input checks (before any command)', () => {
  it.each([
    ['equal', '/srv/images', '/srv/images/'],
    ['nested', '/srv/images', '/srv/images/nodes'],
    ['containing', '/srv/images/library', '/srv/images'],
  ])('refuses a libraryDir %s to nodeDiskDir at construction', (_how, libraryDir, nodeDiskDir) => {
    const calls: string[] = [];
    expect(() => new KvmProvisioner({ runner: recordingRunner(calls), libraryDir, nodeDiskDir })).toThrow(InvalidInputError);
    expect(calls).toEqual([]);
  });

  it('refuses a nodeDiskDir with a control character at construction', () => {
    expect(() => new KvmProvisioner({ runner: recordingRunner([]), libraryDir: '/srv/lib', nodeDiskDir: '/srv/no\u0001des' })).toThrow(InvalidInputError);
  });

  it.each([
    ['an OS module given by name', { osModule: 'linux' }],
    ['a null address', { node: { name: 'web-1', address: null } }],
    ['a null size', { size: null }],
    ['a string disk mode', { diskMode: 'thin' }],
    ['a null customization', { customization: null }],
    ['a non-signal signal', { signal: 'stop' }],
  ])('load refuses %s with InvalidInputError and runs nothing', async (_what, override) => {
    const calls: string[] = [];
    const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/lib', nodeDiskDir: '/srv/nodes' });
    await expect(provisioner.load({ node, image: 'base-v1', ...(override as object) } as never)).rejects.toBeInstanceOf(InvalidInputError);
    expect(calls).toEqual([]);
  });

  it('refuses a null options object and a string timeout in every operation family', async () => {
    const calls: string[] = [];
    const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/lib', nodeDiskDir: '/srv/nodes' });
    await expect(provisioner.powerOff({ node, timeoutMs: 'soon' } as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(provisioner.unload(null as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(provisioner.capture({ node, image: 'base-v2', endState: 'toString' } as never)).rejects.toBeInstanceOf(InvalidInputError);
    expect(calls).toEqual([]);
  });
});
