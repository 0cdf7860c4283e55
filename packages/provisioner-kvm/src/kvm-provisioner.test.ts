import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { CaptureFailedError, CommandFailedError, ConnectionError, OperationFailedError, ProvkitError, type NodeSpec, type OsModuleV1 } from '@provkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeKvmHost } from '../test-support/fake-kvm-host.ts';
import { HostLocks } from './host-lock.ts';
import { imageLockPath, newIntentRecord, nodeStatePaths, serializeIntentRecord } from './intent-record.ts';
import { KvmProvisioner } from './kvm-provisioner.ts';
import { buildDomainXml } from './translation/domain-xml.ts';

// The provisioner's locking and clean-up decisions over a host whose virsh and qemu-img are
// simulated (test-support/fake-kvm-host.ts) while its files, intent records and flock locks
// are real, in a temporary directory. Two KvmProvisioner instances on one FakeKvmHost are two
// orchestrators meeting on one host. The same behaviour on the real host, with killed
// processes and restarted daemons, is the fault matrix's (lab-tests/faults/).

const IMAGE = 'base-v1';
const NODE: NodeSpec = { name: 'web-1', address: { host: '127.0.0.1', port: 2222 } };

/**
 * An OS module whose guest answers as soon as the simulated domain runs, and whose pre-capture
 * generalizes (counted in `generalized`) and powers the guest off, as a real guest's does.
 */
function guestOs(host: FakeKvmHost): OsModuleV1 & { generalized: string[] } {
  const generalized: string[] = [];
  const module = {
    specificationVersion: 'v1',
    generalized,
    waitForResponse: async ({ node }: { node: NodeSpec }) => {
      if (host.domains.get(node.name)?.state !== 'running') throw new ConnectionError(node.name, 'the domain is not running');
    },
    postLoad: async () => undefined,
    preCapture: async ({ node }: { node: NodeSpec }) => {
      generalized.push(node.name);
      host.domains.get(node.name)!.state = 'shut off';
      return {};
    },
  };
  return module as unknown as OsModuleV1 & { generalized: string[] };
}

const hosts: FakeKvmHost[] = [];
afterEach(() => {
  for (const host of hosts.splice(0)) host.dispose();
});

function fakeHost(): FakeKvmHost {
  const host = new FakeKvmHost();
  hosts.push(host);
  host.addImage(IMAGE);
  return host;
}

/** An orchestrator on `host`: its own process-local mutexes, the host's locks. */
function orchestrator(host: FakeKvmHost, options: { lockTimeoutMs?: number } = {}): { kvm: KvmProvisioner; warnings: string[]; os: ReturnType<typeof guestOs> } {
  const os = guestOs(host);
  const kvm = new KvmProvisioner({ runner: host.runner, host, libraryDir: host.libraryDir, nodeDiskDir: host.nodeDiskDir, uri: host.uri, osModule: os, bootTimeoutMs: 5000, shutdownTimeoutMs: 5000, lockTimeoutMs: options.lockTimeoutMs ?? 5000 });
  const warnings: string[] = [];
  kvm.events.on('warning', (event) => warnings.push(event.message));
  return { kvm, warnings, os };
}

/** The library's files, hidden ones (partial copies, locks' directory) included. */
function libraryFiles(host: FakeKvmHost): string[] {
  return readdirSync(host.libraryDir).filter((name) => name !== '.provkit').sort();
}

/** What is in the node disk directory (the node's disks and console log), hidden state apart. */
function nodeFiles(host: FakeKvmHost): string[] {
  return readdirSync(host.nodeDiskDir).filter((name) => !name.startsWith('.')).sort();
}

function intentOf(host: FakeKvmHost, node = NODE.name): string {
  return nodeStatePaths(host.nodeDiskDir, node).intent;
}

/** A promise and the function that settles it: holds a simulated step until the test lets it go. */
function gate(): { opened: Promise<void>; open: () => void; reached: Promise<void>; arrive: () => void } {
  let open!: () => void;
  let arrive!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  return { opened, open, reached, arrive };
}

describe('KvmProvisioner over a fake host: load and unload', () => {
  it('a load leaves a running managed domain on an overlay and no intent record; unload removes both', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    const result = await kvm.load({ node: NODE, image: IMAGE });
    expect(result).toMatchObject({ node: NODE.name, image: IMAGE, address: { host: '127.0.0.1', port: 2222 } });
    expect(host.domains.get(NODE.name)?.state).toBe('running');
    expect(await kvm.host.provkitRecord(NODE.name)).toMatchObject({ managed: true, image: IMAGE });
    expect((await kvm.host.imageInfo(kvm.nodeDiskPath(NODE.name)))?.[0]?.fullBackingFilename).toBe(kvm.library.path(IMAGE));
    expect(existsSync(intentOf(host))).toBe(false);

    await kvm.unload({ node: NODE });
    expect(host.domains.has(NODE.name)).toBe(false);
    expect(nodeFiles(host)).toEqual([]);
  });

  it('a load that fails after making its disk removes the disk, the domain and its record, and names the step', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    host.intercept('start', () => {
      throw new CommandFailedError({ command: 'virsh start', target: 'local', exitCode: 1, stderrTail: 'error: internal error: qemu unexpectedly closed the monitor' });
    });
    const failure = await kvm.load({ node: NODE, image: IMAGE }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect(failure).toMatchObject({ step: 'power-on', cleanupError: undefined });
    expect(host.domains.has(NODE.name)).toBe(false);
    expect(nodeFiles(host)).toEqual([]);
    expect(existsSync(intentOf(host))).toBe(false);
  });

  it('a clean-up that meets a transient host fault is retried until it finishes', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    host.intercept('start', () => {
      throw new CommandFailedError({ command: 'virsh start', target: 'local', exitCode: 1, stderrTail: 'boom' });
    });
    let faults = 2;
    host.intercept('undefine', () => {
      if (faults-- > 0) throw new CommandFailedError({ command: 'virsh undefine', target: 'local', exitCode: 1, stderrTail: 'error: failed to connect to the hypervisor' });
    });
    const failure = await kvm.load({ node: NODE, image: IMAGE }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ step: 'power-on', cleanupError: undefined });
    expect(host.calls.filter((call) => call === `undefine ${NODE.name}`)).toHaveLength(3);
    expect(host.domains.has(NODE.name)).toBe(false);
    expect(nodeFiles(host)).toEqual([]);
  });

  it("a clean-up leaves alone what another operation's record names, and says so", async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    // While this load runs, the node's record becomes another operation's (as if it had been
    // taken over): this load's clean-up must not remove the disk the record now names.
    host.intercept('define', () => {
      writeFileSync(intentOf(host), serializeIntentRecord(newIntentRecord({ operation: 'load', node: NODE.name, domain: NODE.name, paths: [kvm.nodeDiskPath(NODE.name)] })));
      throw new CommandFailedError({ command: 'virsh define', target: 'local', exitCode: 1, stderrTail: 'error: XML error' });
    });
    const failure = await kvm.load({ node: NODE, image: IMAGE }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ step: 'define-domain' });
    expect(ProvkitError.hasCode((failure as OperationFailedError).cleanupError, 'INVALID_STATE')).toBe(true);
    expect(String((failure as OperationFailedError).cleanupError)).toMatch(/another operation's record/);
    expect(nodeFiles(host)).toEqual([`${NODE.name}.qcow2`]);
  });

  it('the next call, in any orchestrator, undoes what an interrupted load left: its record, domain and disk', async () => {
    const host = fakeHost();
    const { kvm: first } = orchestrator(host);
    // What a load that died after defining its domain leaves: the record, the disk, the domain.
    const disk = first.nodeDiskPath(NODE.name);
    await first.host.writeText(intentOf(host), serializeIntentRecord(newIntentRecord({ operation: 'load', node: NODE.name, domain: NODE.name, paths: [disk, first.consoleLogPath(NODE.name)], image: IMAGE })));
    await first.host.createOverlay(first.library.path(IMAGE), disk, undefined);
    await first.host.define(buildDomainXml({ name: NODE.name, type: 'qemu', cpus: 1, memoryBytes: 256 * 1024 ** 2, clock: 'utc', disks: [{ path: disk, format: 'qcow2', target: 'vda' }], nics: [], metadata: { image: IMAGE } }));
    await first.host.start(NODE.name);

    const { kvm: second, warnings } = orchestrator(host);
    await second.unload({ node: NODE });
    expect(warnings.some((message) => /undoing an interrupted load of node web-1/.test(message))).toBe(true);
    expect(host.domains.has(NODE.name)).toBe(false);
    expect(nodeFiles(host)).toEqual([]);
    expect(existsSync(intentOf(host))).toBe(false);
  });
});

describe('KvmProvisioner over a fake host: two orchestrators', () => {
  it('a second load of a node waits on the host lock and, past its bound, fails busy without touching the first load', async () => {
    const host = fakeHost();
    const { kvm: winner } = orchestrator(host);
    const { kvm: loser } = orchestrator(host, { lockTimeoutMs: 300 });
    const held = gate();
    const release = host.intercept('start', async () => {
      held.arrive();
      await held.opened;
    });
    const first = winner.load({ node: NODE, image: IMAGE });
    await held.reached;
    const callsBefore = host.calls.length;
    const busy = await loser.load({ node: NODE, image: IMAGE }).catch((error: unknown) => error);
    expect(ProvkitError.hasCode(busy, 'RESOURCE_BUSY')).toBe(true);
    // The loser ran nothing on the node: no state read, no removal, no definition.
    expect(host.calls.slice(callsBefore)).toEqual([]);
    release();
    held.open();
    await expect(first).resolves.toMatchObject({ node: NODE.name });
    expect(host.domains.get(NODE.name)?.state).toBe('running');
    expect(nodeFiles(host)).toEqual([`${NODE.name}.qcow2`]);
  });

  it('a load whose image another orchestrator holds exclusively (a delete or capture) fails busy at prepare-disk, with nothing made', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host, { lockTimeoutMs: 300 });
    const other = await new HostLocks(host.runner).acquire(imageLockPath(host.libraryDir, IMAGE), { mode: 'exclusive', waitMs: 1000, what: `image ${IMAGE}` });
    try {
      const failure = await kvm.load({ node: NODE, image: IMAGE }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ step: 'prepare-disk' });
      expect(ProvkitError.hasCode((failure as OperationFailedError).cause, 'RESOURCE_BUSY')).toBe(true);
      expect(host.calls.some((call) => call.startsWith('define'))).toBe(false);
      expect(nodeFiles(host)).toEqual([]);
      expect(existsSync(intentOf(host))).toBe(false);
    } finally {
      await other.release();
    }
  });

  it('an image deleted by another orchestrator before the disk is made is IMAGE_NOT_FOUND, with nothing left', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    const { kvm: other } = orchestrator(host);
    // After load's checks and before its disk command, the other orchestrator deletes the image.
    const stop = host.intercept('createOverlay', async () => {
      stop();
      await expect(other.deleteImage({ image: IMAGE })).resolves.toEqual({ deleted: true });
    });
    const failure = await kvm.load({ node: NODE, image: IMAGE }).catch((error: unknown) => error);
    expect(ProvkitError.hasCode(failure, 'IMAGE_NOT_FOUND')).toBe(true);
    expect(nodeFiles(host)).toEqual([]);
    expect(existsSync(intentOf(host))).toBe(false);
  });

  it('deleteImage refuses an image a node is backed by, in any orchestrator, and deletes it once the node is gone', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    const { kvm: other } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    await expect(other.deleteImage({ image: IMAGE })).rejects.toSatisfy((error: unknown) => ProvkitError.hasCode(error, 'IMAGE_IN_USE'));
    await kvm.unload({ node: NODE });
    await expect(other.deleteImage({ image: IMAGE })).resolves.toEqual({ deleted: true });
  });

  it('partial library copies left by dead captures are collected under the image lock before a delete', async () => {
    const host = fakeHost();
    const { kvm, warnings } = orchestrator(host);
    const partial = `${host.libraryDir}/.${IMAGE}.qcow2.part-0badf00d`;
    writeFileSync(partial, 'half an image');
    await expect(kvm.deleteImage({ image: IMAGE })).resolves.toEqual({ deleted: true });
    expect(existsSync(partial)).toBe(false);
    expect(warnings.some((message) => message.includes(partial))).toBe(true);
  });
});

describe('KvmProvisioner over a fake host: capture', () => {
  it('a capture generalizes the node, stores the image and leaves the node off, recorded as generalized', async () => {
    const host = fakeHost();
    const { kvm, os } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    await expect(kvm.capture({ node: NODE, image: 'web-v1' })).resolves.toMatchObject({ image: 'web-v1' });
    expect(os.generalized).toEqual([NODE.name]);
    expect(libraryFiles(host)).toEqual([`${IMAGE}.qcow2`, 'web-v1.qcow2']);
    expect(host.domains.get(NODE.name)).toMatchObject({ state: 'shut off', captureRecord: { image: 'web-v1', phase: 'generalized' } });
  });

  it('a capture that fails copying leaves the library as it was; a plain retry copies the generalized disk without generalizing again', async () => {
    const host = fakeHost();
    const { kvm, os } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    // qemu-img fails after writing part of the copy (its hidden temp file in the library).
    const stop = host.intercept('convert', (temp) => {
      writeFileSync(temp, 'half a copy');
      throw new CommandFailedError({ command: 'qemu-img convert', target: 'local', exitCode: 1, stderrTail: 'qemu-img: error while writing at byte 0: Input/output error' });
    });
    const failure = await kvm.capture({ node: NODE, image: 'web-v1' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CaptureFailedError);
    expect(failure).toMatchObject({ step: 'copy-disk', nodeState: { power: 'off', generalized: 'yes' } });
    expect(libraryFiles(host)).toEqual([`${IMAGE}.qcow2`]);
    stop();
    await expect(kvm.capture({ node: NODE, image: 'web-v1' })).resolves.toMatchObject({ image: 'web-v1' });
    expect(os.generalized).toEqual([NODE.name]);
    expect(libraryFiles(host)).toEqual([`${IMAGE}.qcow2`, 'web-v1.qcow2']);
  });

  it('a capture compresses the image unless providerOptions.kvm.compress is false', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    await kvm.capture({ node: NODE, image: 'web-v1' });
    await kvm.capture({ node: NODE, image: 'web-v2', skipPreCapture: true, providerOptions: { kvm: { compress: false } } });
    const stored = (image: string): unknown => JSON.parse(readFileSync(`${host.libraryDir}/${image}.qcow2`, 'utf8'));
    expect(stored('web-v1')).toMatchObject({ compressed: true });
    expect(stored('web-v2')).not.toHaveProperty('compressed');
  });

  it("the OS module's own preCapture bound holds unless the capture or the provisioner gives one", async () => {
    const host = fakeHost();
    const bounds: Array<number | undefined> = [];
    const { kvm, os } = orchestrator(host);
    const preCapture = os.preCapture.bind(os);
    os.preCapture = async (options) => {
      bounds.push(options.timeoutMs);
      return preCapture(options);
    };
    await kvm.load({ node: NODE, image: IMAGE });
    await kvm.capture({ node: NODE, image: 'web-v1', endState: 'on' });
    await kvm.capture({ node: NODE, image: 'web-v2', endState: 'on', providerOptions: { kvm: { preCaptureTimeoutMs: 1_800_000 } } });
    const bounded = new KvmProvisioner({ runner: host.runner, host, libraryDir: host.libraryDir, nodeDiskDir: host.nodeDiskDir, uri: host.uri, osModule: os, shutdownTimeoutMs: 5000, preCaptureTimeoutMs: 600_000 });
    await bounded.capture({ node: NODE, image: 'web-v3' });
    // The provisioner's 5 s shutdown bound is not the generalization's.
    expect(bounds).toEqual([undefined, 1_800_000, 600_000]);
  });

  it('bad providerOptions.kvm of a capture is refused before any host call', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    const before = host.calls.length;
    await expect(kvm.capture({ node: NODE, image: 'web-v1', providerOptions: { kvm: { compress: 'yes' } } })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'providerOptions.kvm.compress' });
    await expect(kvm.capture({ node: NODE, image: 'web-v1', providerOptions: { kvm: { level: 9 } } })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'providerOptions.kvm.level' });
    await expect(kvm.capture({ node: NODE, image: 'web-v1', providerOptions: { kvm: { preCaptureTimeoutMs: -1 } } })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'providerOptions.kvm.preCaptureTimeoutMs' });
    expect(host.calls.slice(before)).toEqual([]);
  });

  it('a capture and a load of the same node from two orchestrators both finish, the load after the capture', async () => {
    const host = fakeHost();
    const { kvm: capturer } = orchestrator(host);
    const { kvm: loader } = orchestrator(host);
    await capturer.load({ node: NODE, image: IMAGE });
    const held = gate();
    const release = host.intercept('convert', async () => {
      held.arrive();
      await held.opened;
    });
    const capture = capturer.capture({ node: NODE, image: 'web-v1' });
    await held.reached;
    // The load waits for the node's lock the capture holds; the capture needs nothing the load holds.
    const load = loader.load({ node: NODE, image: IMAGE });
    release();
    held.open();
    await expect(capture).resolves.toMatchObject({ image: 'web-v1' });
    await expect(load).resolves.toMatchObject({ node: NODE.name });
    // The load came second: it replaced the captured node with a fresh one, running.
    expect(host.domains.get(NODE.name)).toMatchObject({ state: 'running' });
    expect(host.domains.get(NODE.name)?.captureRecord).toBeUndefined();
  });
});

describe('KvmProvisioner over a fake host: leftovers', () => {
  it('lists what dead operations left (dry run first), never what a live one holds, and removes it under the locks', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    // A node whose load died after making its disk and domain (its record stays, its lock is free).
    const dead = 'web-2';
    const deadDisk = kvm.nodeDiskPath(dead);
    await kvm.host.writeText(intentOf(host, dead), serializeIntentRecord(newIntentRecord({ operation: 'load', node: dead, domain: dead, paths: [deadDisk], image: IMAGE })));
    await kvm.host.createOverlay(kvm.library.path(IMAGE), deadDisk, undefined);
    await kvm.host.define(buildDomainXml({ name: dead, type: 'qemu', cpus: 1, memoryBytes: 256 * 1024 ** 2, clock: 'utc', disks: [{ path: deadDisk, format: 'qcow2', target: 'vda' }], nics: [], metadata: { image: IMAGE } }));
    // A disk with no domain and no record; a partial capture in the library.
    const orphan = kvm.nodeDiskPath('web-3');
    writeFileSync(orphan, '{}');
    const partial = `${host.libraryDir}/.${IMAGE}.qcow2.part-0a1b2c3d`;
    writeFileSync(partial, 'half');
    // A node another orchestrator holds right now: its disk is not a leftover.
    const busyDisk = kvm.nodeDiskPath('web-4');
    writeFileSync(busyDisk, '{}');
    const held = await new HostLocks(host.runner).acquire(nodeStatePaths(host.nodeDiskDir, 'web-4').lock, { mode: 'exclusive', waitMs: 1000, what: 'node web-4' });
    try {
      const report = await kvm.leftovers();
      expect(report).toMatchObject({ removed: false, orphanFiles: [orphan], partials: [{ image: IMAGE, path: partial }], unreadableRecords: [], processes: [] });
      expect(report.interrupted.map((item) => [item.node, item.domainDefined])).toEqual([[dead, true]]);
      expect(nodeFiles(host)).toEqual(['web-2.qcow2', 'web-3.qcow2', 'web-4.qcow2']);

      await expect(kvm.leftovers({ remove: true })).resolves.toMatchObject({ removed: true });
      expect(host.domains.has(dead)).toBe(false);
      expect(nodeFiles(host)).toEqual(['web-4.qcow2']);
      expect(existsSync(partial)).toBe(false);
      expect(existsSync(intentOf(host, dead))).toBe(false);
    } finally {
      await held.release();
    }
  });
});

describe('KvmProvisioner over a fake host: power', () => {
  it('a graceful power-off of a guest that went off by itself just before the request succeeds', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    // Between powerOff's state read and its shutdown request, the guest halts (virsh then
    // answers "domain is not running", as the fake does).
    host.intercept('shutdown', (name) => {
      host.domains.get(name)!.state = 'shut off';
    });
    await expect(kvm.powerOff({ node: NODE })).resolves.toBeUndefined();
    expect(await kvm.powerStatus({ node: NODE })).toBe('off');
  });

  it('a shutdown request that fails while the guest stays on is the error', async () => {
    const host = fakeHost();
    const { kvm } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    host.intercept('shutdown', () => {
      throw new CommandFailedError({ command: 'virsh shutdown', target: 'local', exitCode: 1, stderrTail: 'error: Failed to shutdown domain' });
    });
    await expect(kvm.powerOff({ node: NODE })).rejects.toBeInstanceOf(CommandFailedError);
    expect(await kvm.powerStatus({ node: NODE })).toBe('on');
  });

  it('a guest that ignores the power button is forced off after the bound, with a warning; a paused one at once', async () => {
    const host = fakeHost();
    const { kvm, warnings } = orchestrator(host);
    await kvm.load({ node: NODE, image: IMAGE });
    host.domains.get(NODE.name)!.ignoresShutdown = true;
    await kvm.powerOff({ node: NODE, timeoutMs: 300 });
    expect(await kvm.powerStatus({ node: NODE })).toBe('off');
    expect(host.calls.filter((call) => /^(shutdown|destroy) /.test(call))).toEqual([`shutdown ${NODE.name}`, `destroy ${NODE.name}`]);
    expect(warnings).toEqual([`node ${NODE.name} did not shut down within 300 ms; forcing it off`]);

    await kvm.powerOn({ node: NODE });
    host.domains.get(NODE.name)!.state = 'paused';
    const before = host.calls.length;
    await kvm.powerOff({ node: NODE, timeoutMs: 60_000 });
    expect(host.calls.slice(before).filter((call) => /^(shutdown|destroy) /.test(call))).toEqual([`destroy ${NODE.name}`]);
    expect(warnings).toHaveLength(1);
  });
});
