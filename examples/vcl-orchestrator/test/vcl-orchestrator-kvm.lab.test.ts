/**
 * The VCL-style orchestrator on the first-party KVM provisioner: the lab's libvirtd (reached
 * through the lab sshd as a remote KVM host) boots the lab guest under TCG. The provisioner is
 * built without an OS module, as an orchestrator that owns its OS modules would: nodeStatus,
 * load and post-load all get it per call. A reservation for another image replaces the node
 * provkit loaded before, as VCL's load does.
 */
import { sh, type NodeSpec } from '@provkit/core';
import type { KvmProvisioner } from '@provkit/provisioner-kvm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VclOrchestrator, type RequestOutcome, type Reservation, type ReservationLogLine } from 'provkit-example-vcl-orchestrator';
// The KVM provisioner's own lab wiring: the lab libvirtd through the lab sshd, a run directory
// with the lab guest as library image, and @provkit/os-linux's module for the busybox guest
// (users and firewall declared off: it has neither useradd nor nft).
import { startKvmLab, type KvmLab } from '../../../packages/provisioner-kvm/lab-tests/test-support/lab-kvm.ts';

let lab: KvmLab;
let provisioner: KvmProvisioner;

beforeAll(async () => {
  lab = await startKvmLab();
  provisioner = lab.provisioner({ osModule: undefined });
});

afterAll(async () => {
  await provisioner?.close();
  await lab?.close();
});

function reservation(id: number, node: NodeSpec, image: string): Reservation {
  return { id, node, image, username: 'student', remoteIp: '192.0.2.10', ports: [22] };
}

describe('VclOrchestrator with the KVM provisioner on the lab libvirtd', () => {
  it('loads on reload, reuses a ready node, finishes post-load, replaces the node for another image, reports a failed request, and ends by unloading', async () => {
    const lines: ReservationLogLine[] = [];
    const osModule = lab.osModule;
    const orchestrator = new VclOrchestrator({ provisioner, osModule, log: (line) => lines.push(line) });
    const node = await lab.newNode('vcl');
    const image = lab.image;
    const stepsOf = (id: number): string[] => lines.filter((line) => line.reservation === id).map((line) => line.step);
    const loadStepsOf = (id: number): string[] => stepsOf(id).filter((step) => !step.includes(':'));
    const outcomes: RequestOutcome[] = [];
    try {
      // 1: a node that does not exist says reload; the load's steps and post-load's sub-steps reach the log.
      for await (const outcome of orchestrator.run([{ kind: 'start', reservation: reservation(1, node, image) }])) outcomes.push(outcome);
      expect(outcomes[0]?.start).toMatchObject({ state: 'ready', nodeStatus: 'reload' });
      expect(loadStepsOf(1)).toEqual(['node-status', 'started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done', 'user-skipped', 'access-skipped']);
      expect(stepsOf(1).some((step) => step.startsWith('postLoad:'))).toBe(true);

      // 2: the same image again: nodeStatus (given the OS module per call) says ready; nothing is loaded.
      // 3: post-load did not finish on the loaded node: only post-load runs.
      const again = async function* () {
        yield { kind: 'start' as const, reservation: reservation(2, node, image) };
        await osModule.writeCurrentImage({ node, info: { image, properties: {}, postLoadDone: false } });
        yield { kind: 'start' as const, reservation: reservation(3, node, image) };
      };
      for await (const outcome of orchestrator.run(again())) outcomes.push(outcome);
      expect(outcomes[1]?.start).toMatchObject({ state: 'ready', nodeStatus: 'ready' });
      expect(stepsOf(2)).toEqual(['node-status', 'user-skipped', 'access-skipped']);
      expect(outcomes[2]?.start).toMatchObject({ state: 'ready', nodeStatus: 'post-load' });
      expect(loadStepsOf(3)).toEqual(['node-status', 'post-load-done', 'user-skipped', 'access-skipped']);
      expect(await provisioner.nodeStatus({ node, image, osModule })).toMatchObject({ status: 'ready' });

      // 4: another image for the same node: reload, and the load replaces the node provkit loaded before.
      const other = 'other-v2';
      await lab.host.run(sh`cp -- ${`${lab.libraryDir}/${image}.qcow2`} ${`${lab.libraryDir}/${other}.qcow2`}`);
      const uuid = async (): Promise<string> => (await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'domuuid', node.name])).stdout.trim();
      const before = await uuid();
      for await (const outcome of orchestrator.run([{ kind: 'start', reservation: reservation(4, node, other) }])) outcomes.push(outcome);
      expect(outcomes[3]?.start).toMatchObject({ state: 'ready', nodeStatus: 'reload' });
      expect(lines.find((line) => line.reservation === 4)?.detail).toContain(`not ${other}`);
      expect(loadStepsOf(4)).toEqual(['node-status', 'started', 'node-replaced', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done', 'user-skipped', 'access-skipped']);
      expect(await uuid()).not.toBe(before);
      expect(await provisioner.nodeStatus({ node, image: other, osModule })).toMatchObject({ status: 'ready', currentImage: other });

      // 5: an image the library lacks fails at load, and the loop goes on to 6: the end of reservation 4.
      const missingNode: NodeSpec = await lab.newNode('vcl-missing');
      const last = [
        { kind: 'start' as const, reservation: reservation(5, missingNode, 'missing-v9') },
        { kind: 'end' as const, reservation: reservation(6, node, other) },
      ];
      for await (const outcome of orchestrator.run(last)) outcomes.push(outcome);
      expect(outcomes[4]?.start).toMatchObject({ state: 'failed', step: 'load', error: expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }) });
      expect(outcomes[5]).toEqual({ request: expect.objectContaining({ kind: 'end' }) });
      expect(stepsOf(6)).toEqual(['unloaded']);
      await expect(provisioner.powerStatus({ node })).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    } finally {
      await provisioner.unload({ node }).catch(() => undefined);
    }
  }, 900_000);
});
