/**
 * Loading onto a node name that is already taken, on the lab's real libvirtd: a node provkit
 * defined is replaced as VCL's load does (or refused on request); a domain someone else defined
 * is never touched. Also: nodeStatus given the OS module per call, and deleteImage's idempotence.
 */
import { sh, NodeExistsError, NodeNotManagedError, type CommandEvent, type NodeSpec, type ProgressEvent } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDomainXml, type KvmProvisioner } from '../src/index.ts';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

let lab: KvmLab;
let kvm: KvmProvisioner;
const loaded: NodeSpec[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  lab = await startKvmLab();
  kvm = lab.provisioner();
});

afterAll(async () => {
  for (const node of loaded) await kvm?.unload({ node }).catch(() => undefined);
  // The "foreign" domains are this test's own: it removes them with virsh, as their owner would.
  for (const name of foreign) await lab?.host.run(['virsh', '--connect', lab.libvirt.uri, 'undefine', name], { check: false });
  await lab?.close();
});

function virsh(...args: string[]): string[] {
  return ['virsh', '--connect', lab.libvirt.uri, ...args];
}

/** Every command the provisioner runs on the host while `task` runs. */
async function commandsDuring(task: () => Promise<unknown>): Promise<string[]> {
  const commands: string[] = [];
  const listener = (event: CommandEvent): void => void commands.push(event.command);
  kvm.events.on('command', listener);
  try {
    await task();
  } finally {
    kvm.events.off('command', listener);
  }
  return commands;
}

describe('KvmProvisioner loading onto an existing node', () => {
  it('replaces a node provkit manages (hard off, own disk and definition gone, fresh disk), refuses on ifExists refuse, and answers nodeStatus with an OS module given per call', async () => {
    const node = await lab.newNode('again');
    loaded.push(node);
    await kvm.load({ node, image: lab.image });
    await lab.guestRunner(node).run(sh`echo old >/root/old-node && sync`);
    const oldUuid = (await lab.host.run(virsh('domuuid', node.name))).stdout.trim();

    // Refusal on request: NodeExistsError, and the running node is as it was.
    await expect(kvm.load({ node, image: lab.image, ifExists: 'refuse' })).rejects.toBeInstanceOf(NodeExistsError);
    expect(await kvm.powerStatus({ node })).toBe('on');
    expect((await lab.host.run(virsh('domuuid', node.name))).stdout.trim()).toBe(oldUuid);

    // Replacement (the default), while the old node runs.
    const steps: ProgressEvent[] = [];
    const result = await kvm.load({ node, image: lab.image, onProgress: (event) => steps.push(event) });
    expect(result).toMatchObject({ node: node.name, image: lab.image });
    expect(steps.filter((event) => event.operation === 'load').map((event) => event.step)).toEqual(['started', 'node-replaced', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done']);
    expect((await lab.host.run(virsh('domuuid', node.name))).stdout.trim()).not.toBe(oldUuid);
    // A fresh overlay: the old node's file is gone with its disk.
    expect((await lab.guestRunner(node).run(sh`test -e /root/old-node`, { check: false })).exitCode).toBe(1);

    // A provisioner built without an OS module: the one given per call decides, as for load and capture.
    const bare = lab.provisioner({ osModule: undefined });
    const withModule = await bare.nodeStatus({ node, image: lab.image, osModule: lab.osModule });
    expect(withModule, withModule.detail).toMatchObject({ status: 'ready', power: 'on', ssh: true, currentImage: lab.image });
    expect(await bare.nodeStatus({ node, image: lab.image })).toMatchObject({ status: 'reload', detail: expect.stringContaining('no OS module') });
    await bare.close();

    const unloadSteps: string[] = [];
    const onProgress = (event: ProgressEvent): void => void (event.operation === 'unload' && unloadSteps.push(event.step));
    kvm.events.on('progress', onProgress);
    await kvm.unload({ node });
    await kvm.unload({ node }); // nothing left: succeeds, removes nothing
    kvm.events.off('progress', onProgress);
    expect(unloadSteps).toEqual(['started', 'powered-off', 'node-removed', 'unload-done', 'started']);
  });

  it('never touches a domain provkit did not define: load (either ifExists) and unload refuse with NodeNotManagedError and change nothing', async () => {
    const node = await lab.newNode('foreign');
    const disk = kvm.nodeDiskPath(node.name);
    // Someone else's domain, defined with virsh directly, whose disk sits where provkit would put the node's own.
    await lab.host.run(['qemu-img', 'create', '-q', '-f', 'qcow2', disk, '16M']);
    const domainXml = buildDomainXml({ name: node.name, type: lab.libvirt.domainType, cpus: 1, memoryBytes: 64 << 20, clock: 'utc', disks: [{ path: disk, format: 'qcow2', target: 'vda' }], nics: [] });
    await lab.host.run(virsh('define', '/dev/stdin'), { stdin: domainXml });
    foreign.push(node.name);
    const before = (await lab.host.run(virsh('dumpxml', node.name))).stdout;
    const diskBefore = (await lab.host.run(['sha256sum', disk])).stdout;

    const commands = await commandsDuring(async () => {
      await expect(kvm.load({ node, image: lab.image })).rejects.toSatisfy((error: unknown) => error instanceof NodeNotManagedError && error.node === node.name && error.code === 'NODE_NOT_MANAGED');
      await expect(kvm.load({ node, image: lab.image, ifExists: 'refuse' })).rejects.toBeInstanceOf(NodeNotManagedError);
      await expect(kvm.unload({ node })).rejects.toBeInstanceOf(NodeNotManagedError);
    });
    // Only looks: no destroy, undefine, define, start, qemu-img create/convert or rm.
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((command) => /\b(destroy|undefine|define|start|create|convert|rm)\b/.test(command))).toEqual([]);

    expect((await lab.host.run(virsh('dumpxml', node.name))).stdout).toBe(before);
    expect((await lab.host.run(virsh('domstate', node.name))).stdout.trim()).toBe('shut off');
    expect((await lab.host.run(['sha256sum', disk])).stdout).toBe(diskBefore);
  });
});

describe('KvmProvisioner deleteImage', () => {
  it('is idempotent: an image that is not there gives { deleted: false }', async () => {
    expect(await kvm.doesImageExist({ image: 'never-made-v1' })).toBe(false);
    expect(await kvm.deleteImage({ image: 'never-made-v1' })).toEqual({ deleted: false });
  });
});
