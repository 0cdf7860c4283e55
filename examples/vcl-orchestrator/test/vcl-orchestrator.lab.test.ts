/**
 * The VCL-style orchestrator end to end on real peers: the example QEMU provisioner drives
 * the lab's guest (Debian kernel, busybox, OpenSSH) under QEMU TCG on this machine, through a
 * reservation loop of start, start again, post-load, a failing request, and end.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeSpec } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuProvisioner } from 'provkit-example-provisioner-qemu';
import { VclOrchestrator, type RequestOutcome, type Reservation, type ReservationLogLine } from 'provkit-example-vcl-orchestrator';
// The QEMU example's lab fixture: a temporary library with the lab guest, and @provkit/os-linux's
// module with the capabilities that guest allows (no users, no firewall: busybox lacks the tools).
import { GUEST_IMAGE, labGuestOsModule, setUpLabQemu, type LabQemu } from '../../provisioner-qemu/test/lab-guest.ts';

let lab: LabQemu;
let osModule: ReturnType<typeof labGuestOsModule>;
let provisioner: QemuProvisioner;

beforeAll(async () => {
  lab = await setUpLabQemu();
  osModule = labGuestOsModule(lab.runnerFor);
  provisioner = new QemuProvisioner({ ...lab.config, osModule });
});

afterAll(async () => {
  await provisioner?.close();
  await lab?.close();
});

function reservation(id: number, node: NodeSpec, image = GUEST_IMAGE): Reservation {
  return { id, node, image, username: 'student', remoteIp: '192.0.2.10', ports: [22] };
}

describe('VclOrchestrator with the QEMU provisioner on the lab guest', () => {
  it('loads on reload, reuses a ready node, finishes post-load, reloads for another image, reports a failed request and goes on, and ends by unloading', async () => {
    const lines: ReservationLogLine[] = [];
    const orchestrator = new VclOrchestrator({ provisioner, osModule, log: (line) => lines.push(line) });
    const node = await lab.newNode('vcl');
    const stepsOf = (id: number): string[] => lines.filter((line) => line.reservation === id).map((line) => line.step);
    const outcomes: RequestOutcome[] = [];

    // 1: a fresh node says reload, so the reservation loads it; every load step reaches the log.
    for await (const outcome of orchestrator.run([{ kind: 'start', reservation: reservation(1, node) }])) outcomes.push(outcome);
    expect(outcomes[0]?.start).toMatchObject({ state: 'ready', nodeStatus: 'reload' });
    expect(stepsOf(1).filter((step) => !step.includes(':'))).toEqual(['node-status', 'started', 'disk-prepared', 'node-defined', 'powered-on', 'machine-booted', 'post-load-done', 'load-done', 'user-skipped', 'access-skipped']);
    expect(stepsOf(1).some((step) => step.startsWith('postLoad:'))).toBe(true);

    // 2: the same image again: nodeStatus says ready and nothing is loaded.
    // 3: post-load did not finish on the loaded node: only post-load runs.
    const again = async function* () {
      yield { kind: 'start' as const, reservation: reservation(2, node) };
      await osModule.writeCurrentImage({ node, info: { image: GUEST_IMAGE, properties: {}, postLoadDone: false } });
      yield { kind: 'start' as const, reservation: reservation(3, node) };
    };
    for await (const outcome of orchestrator.run(again())) outcomes.push(outcome);
    expect(outcomes[1]?.start).toMatchObject({ state: 'ready', nodeStatus: 'ready' });
    expect(stepsOf(2)).toEqual(['node-status', 'user-skipped', 'access-skipped']);
    expect(outcomes[2]?.start).toMatchObject({ state: 'ready', nodeStatus: 'post-load' });
    expect(stepsOf(3).filter((step) => !step.includes(':'))).toEqual(['node-status', 'post-load-done', 'user-skipped', 'access-skipped']);
    expect(await provisioner.nodeStatus({ node, image: GUEST_IMAGE })).toMatchObject({ status: 'ready' });

    // 4: the same node for another image: nodeStatus says reload (it runs the first), and load replaces the node.
    await copyFile(join(lab.config.libraryDir, `${GUEST_IMAGE}.qcow2`), join(lab.config.libraryDir, 'other-v2.qcow2'));
    for await (const outcome of orchestrator.run([{ kind: 'start', reservation: reservation(4, node, 'other-v2') }])) outcomes.push(outcome);
    expect(outcomes[3]?.start).toMatchObject({ state: 'ready', nodeStatus: 'reload' });
    expect(lines.find((line) => line.reservation === 4)?.detail).toContain(`${GUEST_IMAGE}, not other-v2`);
    expect(stepsOf(4)).toEqual(expect.arrayContaining(['node-replaced', 'load-done']));
    expect(await provisioner.nodeStatus({ node, image: 'other-v2' })).toMatchObject({ status: 'ready', currentImage: 'other-v2' });

    // 5: an image the library lacks fails at load, and the loop goes on to 6: the end of reservation 4.
    const last = [
      { kind: 'start' as const, reservation: reservation(5, await lab.newNode('vcl-missing'), 'missing-v9') },
      { kind: 'end' as const, reservation: reservation(6, node, 'other-v2') },
    ];
    for await (const outcome of orchestrator.run(last)) outcomes.push(outcome);
    expect(outcomes[4]?.start).toMatchObject({ state: 'failed', step: 'load', error: expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }) });
    expect(lines.find((line) => line.reservation === 5 && line.step === 'failed')?.detail).toContain('IMAGE_NOT_FOUND');
    expect(outcomes[5]).toEqual({ request: expect.objectContaining({ kind: 'end' }) });
    expect(stepsOf(6)).toEqual(['unloaded']);
    await expect(provisioner.powerStatus({ node })).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
  }, 600_000);
});
