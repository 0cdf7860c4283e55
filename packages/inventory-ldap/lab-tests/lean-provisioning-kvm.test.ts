/**
 * stoney cloud's lean provisioning end to end on real peers: the inventory in the lab's slapd
 * (sst.schema), the KVM provisioner on the lab's libvirtd (reached through the lab sshd as a
 * remote host) booting the lab's Linux guest under TCG, and the Linux OS module generalizing
 * it over SSH.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ProvkitError,
  Secret,
  type NodeSpec,
  type ProgressEvent,
} from '@provkit/core';
import { SshPool, sshRunnerFactory, type CommandRunner } from '@provkit/runners';
import {
  LEAN_PROVISIONING_STEPS,
  LeanProvisioning,
  TemplateMode,
  createProfile,
} from '@provkit/lean-provisioning';
import { ensureLabService, freeLoopbackPort, labKvmSettings, prepareKvmRun, type KvmGuestLabState, type LibvirtLabState, type SlapdLabState } from '@provkit/lab';
import { LinuxOsModule } from '@provkit/os-linux';
import { KvmProvisioner } from '@provkit/provisioner-kvm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapInventory } from '../src/index.ts';

let slapd: SlapdLabState;
let libvirt: LibvirtLabState;
let guest: KvmGuestLabState;
let hostPool: SshPool;
let guestPool: SshPool;
let host: CommandRunner;
let removeRun: (() => Promise<void>) | undefined;
let kvm: KvmProvisioner;
let inventory: LdapInventory;
let run: string;
const machines: NodeSpec[] = [];

const usedPorts = new Set<number>();

async function machine(label: string): Promise<NodeSpec> {
  // A forwarded port is never reused within the run: the guests' host keys are pinned per
  // address on first use, and a new guest behind an old port would be a (rightful) mismatch.
  let port = await freeLoopbackPort();
  while (usedPorts.has(port)) port = await freeLoopbackPort();
  usedPorts.add(port);
  const spec = { name: `${run}-${label}`, address: { host: '127.0.0.1', port } };
  machines.push(spec);
  return spec;
}

async function domainDefined(name: string): Promise<boolean> {
  const { stdout } = await host.run(['virsh', '--connect', libvirt.uri, 'list', '--all', '--name']);
  return stdout.split('\n').includes(name);
}

beforeAll(async () => {
  slapd = await ensureLabService<SlapdLabState>('slapd');
  const kvmRun = await prepareKvmRun('lean');
  const { sshd } = kvmRun;
  ({ libvirt, guest } = kvmRun);
  removeRun = kvmRun.remove;
  run = kvmRun.prefix;
  hostPool = new SshPool({ maxChannelsPerConnection: 8 });
  host = hostPool.runner({ host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, hostKey: { kind: 'known-hosts', path: sshd.knownHostsPath } });
  guestPool = new SshPool({ connectTimeoutMs: 5000 });
  const knownHosts = join(mkdtempSync(join(tmpdir(), 'provkit-lean-')), 'known_hosts');
  const osModule = new LinuxOsModule({
    runnerFor: sshRunnerFactory(guestPool, { username: guest.guestUsername, privateKeyPath: guest.privateKeyPath, hostKey: { kind: 'accept-new', path: knownHosts } }),
    // The generalization the lab's busybox guest needs: a new identity at the next boot.
    operations: ['machine-id', 'ssh-hostkeys'],
  });
  kvm = new KvmProvisioner({
    runner: host,
    ...labKvmSettings(kvmRun),
    osModule,
    bootTimeoutMs: 120_000,
    shutdownTimeoutMs: 90_000,
  });
  inventory = new LdapInventory({ url: slapd.url, bindDN: slapd.bindDN, password: Secret.of(readFileSync(slapd.passwordFile, 'utf8')), baseDN: slapd.baseDN, tls: { startTls: true, caFile: slapd.caFile } });
});

afterAll(async () => {
  for (const spec of machines) await kvm?.unload({ node: spec }).catch(() => undefined);
  await removeRun?.().catch(() => undefined);
  await inventory?.close();
  await kvm?.close();
  await guestPool?.close();
  await hostPool?.close();
});

describe('lean provisioning on the KVM lab guest with the inventory in slapd', () => {
  it('profile -> template -> install -> capture -> release -> persistent VM -> load, then a failed capture leaves everything consistent', async () => {
    const profile = createProfile({
      name: 'lab-linux',
      size: { name: 'lab', cpus: 1, memoryBytes: 192 * 1024 ** 2, diskBytes: guest.virtualBytes },
      os: { operatingSystem: 'Linux', type: 'Debian', version: '12' },
    });
    const templatePool = (await inventory.createPool({ displayName: 'lab templates', type: 'template' })).id;
    const vmPool = (await inventory.createPool({ displayName: 'lab VMs', type: 'persistent' })).id;
    const workflow = new LeanProvisioning({ inventory, provisioner: kvm });
    const steps: ProgressEvent[] = [];
    workflow.events.on('progress', (event) => steps.push(event));
    const image = `${run}-tpl-v1`;
    const templateMachine = await machine('tpl');
    const vmMachine = await machine('vm');

    const result = await workflow.run({
      profile,
      templatePool,
      templateHost: 'lab-host',
      templateMachine,
      baseImage: guest.imageName,
      image,
      vm: { pool: vmPool, host: 'lab-host', machine: vmMachine, type: 'Server', softwareStack: 'busybox', environment: 'lab', reseller: 'r-lab', customer: 'c-lab' },
    });

    expect(steps.map((event) => event.step)).toEqual([...LEAN_PROVISIONING_STEPS]);
    const template = await inventory.getTemplate(result.template.id);
    expect(template).toMatchObject({ mode: TemplateMode.ReadyForUse, image, profile: 'lab-linux' });
    expect(await inventory.getVm(result.vm.id)).toMatchObject({ template: template.id, image, pool: vmPool, softwareStack: 'busybox' });
    expect(await kvm.doesImageExist({ image })).toBe(true);
    // The template machine was unloaded after its capture; the VM runs the captured image.
    expect(await domainDefined(templateMachine.name)).toBe(false);
    const status = await kvm.nodeStatus({ node: vmMachine, image });
    expect(status, status.detail).toMatchObject({ status: 'ready', currentImage: image });

    // A second run whose capture name is taken: the real provisioner refuses it, and the run
    // unloads its template machine, retires its template and records no VM.
    const failingMachine = await machine('tpl2');
    const error = await workflow
      .run({ profile, templatePool, templateHost: 'lab-host', templateMachine: failingMachine, baseImage: guest.imageName, image, vm: { pool: vmPool, host: 'lab-host', machine: await machine('vm2'), type: 'Server', reseller: 'r-lab', customer: 'c-lab' } })
      .catch((caught: unknown) => caught);
    const cause = (error as { cause?: unknown }).cause;
    expect(error, `${String(error)} / cause: ${String(cause)} / cause's cause: ${String((cause as { cause?: unknown } | undefined)?.cause)}`).toMatchObject({ code: 'OPERATION_FAILED', step: 'capture' });
    expect(ProvkitError.hasCode((error as Error).cause, 'IMAGE_EXISTS')).toBe(true);
    const failed = (await inventory.listTemplates()).filter((candidate) => candidate.pool === templatePool && candidate.id !== template.id);
    expect(failed).toEqual([expect.objectContaining({ mode: TemplateMode.DoNotUse })]);
    expect(failed[0]!.image).toBeUndefined();
    expect(await inventory.listVms({ template: failed[0]!.id })).toEqual([]);
    expect(await domainDefined(failingMachine.name)).toBe(false);
    expect((await inventory.getTemplate(template.id)).mode).toBe(TemplateMode.ReadyForUse);
  });
});
