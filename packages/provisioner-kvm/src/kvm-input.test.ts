import { createEmitter, InvalidInputError } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { KvmProvisioner } from './kvm-provisioner.ts';
import { checkKvmLoadOptions, DEFAULT_INDEPENDENT_TIMEOUT_MS } from './make-independent-options.ts';

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

/** An OS module that must never be reached: the load is refused before it. */
const unreachable = async (): Promise<never> => {
  throw new Error('the OS module may not be called');
};
const osModule = { specificationVersion: 'v1', waitForResponse: unreachable, postLoad: unreachable, preCapture: unreachable } as never;

describe('makeIndependent input checks (before any command)', () => {
  it.each([
    ['no options', undefined, 'options'],
    ['a hostile node name', { node: { name: "x'; reboot #" } }, 'node.name'],
    ['a zero bound', { node, timeoutMs: 0 }, 'timeoutMs'],
    ['a string bound', { node, timeoutMs: '1h' }, 'timeoutMs'],
    ['a fractional bandwidth', { node, bandwidthMiBps: 1.5 }, 'bandwidthMiBps'],
    ['a negative bandwidth', { node, bandwidthMiBps: -1 }, 'bandwidthMiBps'],
    ['a non-signal signal', { node, signal: 'stop' }, 'signal'],
    ['a non-function onProgress', { node, onProgress: 'log' }, 'onProgress'],
  ])('refuses %s with InvalidInputError naming the field, and runs nothing', async (_what, options, field) => {
    const calls: string[] = [];
    const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/lib', nodeDiskDir: '/srv/nodes' });
    await expect(provisioner.makeIndependent(options as never)).rejects.toSatisfy((error: unknown) => error instanceof InvalidInputError && error.field === field);
    expect(calls).toEqual([]);
  });

  it('refuses an already aborted call before any command', async () => {
    const calls: string[] = [];
    const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/lib', nodeDiskDir: '/srv/nodes' });
    await expect(provisioner.makeIndependent({ node, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toEqual([]);
  });
});

describe("load's providerOptions.kvm", () => {
  it('reads independent and its bound and bandwidth', () => {
    expect(checkKvmLoadOptions(undefined)).toBeUndefined();
    expect(checkKvmLoadOptions({ esx: { anything: 1 } })).toBeUndefined();
    expect(checkKvmLoadOptions({ kvm: { independent: false } })).toBeUndefined();
    expect(checkKvmLoadOptions({ kvm: { independent: true } })).toEqual({ timeoutMs: DEFAULT_INDEPENDENT_TIMEOUT_MS });
    expect(checkKvmLoadOptions({ kvm: { independent: true, independentTimeoutMs: 60_000, independentBandwidthMiBps: 20 } })).toEqual({ timeoutMs: 60_000, bandwidthMiBps: 20 });
  });

  it.each([
    ['a string independent', { independent: 'yes' }, 'providerOptions.kvm.independent'],
    ['an unknown key', { independant: true }, 'providerOptions.kvm.independant'],
    ['a zero bound', { independent: true, independentTimeoutMs: 0 }, 'providerOptions.kvm.independentTimeoutMs'],
    ['a string bandwidth', { independent: true, independentBandwidthMiBps: 'fast' }, 'providerOptions.kvm.independentBandwidthMiBps'],
  ])('load refuses %s with InvalidInputError naming the field, and runs nothing', async (_what, kvm, field) => {
    const calls: string[] = [];
    const provisioner = new KvmProvisioner({ runner: recordingRunner(calls), libraryDir: '/srv/lib', nodeDiskDir: '/srv/nodes' });
    await expect(provisioner.load({ node, image: 'base-v1', osModule, providerOptions: { kvm } as never })).rejects.toSatisfy((error: unknown) => error instanceof InvalidInputError && error.field === field);
    expect(calls).toEqual([]);
  });

  it('refuses providerOptions.kvm that is not an object', async () => {
    const provisioner = new KvmProvisioner({ runner: recordingRunner([]), libraryDir: '/srv/lib', nodeDiskDir: '/srv/nodes' });
    await expect(provisioner.load({ node, image: 'base-v1', osModule, providerOptions: { kvm: 'independent' } as never })).rejects.toSatisfy((error: unknown) => error instanceof InvalidInputError && error.field === 'providerOptions.kvm');
  });
});
