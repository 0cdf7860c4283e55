/**
 * The orchestrator's failure handling, with real modules and no host: bad reservations are
 * refused by the modules' own validation before any command runs, become outcomes, and the
 * loop goes on. (The end-to-end run on the lab guest is vcl-orchestrator.lab.test.ts.)
 */
import { LocalRunner, sshRunnerFactory, SshPool } from '@provkit/runners';
import { LinuxOsModule } from '@provkit/os-linux';
import { describe, expect, it } from 'vitest';
import { QemuProvisioner } from 'provkit-example-provisioner-qemu';
import { VclOrchestrator, type RequestOutcome, type Reservation, type ReservationLogLine } from 'provkit-example-vcl-orchestrator';

describe('VclOrchestrator failure handling', () => {
  it('turns refused reservations into outcomes naming the step, runs no command, and goes on with the loop', async () => {
    const host = new LocalRunner();
    const commands: string[] = [];
    host.events.on('command', (event) => commands.push(event.command));
    const pool = new SshPool();
    const osModule = new LinuxOsModule({ runnerFor: sshRunnerFactory(pool, { username: 'root', hostKey: { kind: 'insecure-accept-any' } }) });
    const provisioner = new QemuProvisioner({ host, osModule, libraryDir: '/nonexistent/library', nodesDir: '/nonexistent/nodes', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' });
    const lines: ReservationLogLine[] = [];
    const orchestrator = new VclOrchestrator({ provisioner, osModule, log: (line) => lines.push(line) });
    const base: Reservation = { id: 0, node: { name: 'web-1', address: { host: '127.0.0.1', port: 2222 } }, image: 'base-v1', username: 'student', remoteIp: '192.0.2.10', ports: [22] };

    const outcomes: RequestOutcome[] = [];
    const requests = [
      { kind: 'start' as const, reservation: { ...base, id: 1, node: { name: 'web 1; reboot' } } },
      { kind: 'start' as const, reservation: { ...base, id: 2, image: 'no revision' } },
      { kind: 'end' as const, reservation: { ...base, id: 3, node: { name: '../etc' } } },
    ];
    for await (const outcome of orchestrator.run(requests)) outcomes.push(outcome);

    expect(outcomes).toHaveLength(3);
    expect(outcomes[0]?.start).toMatchObject({ state: 'failed', step: 'node-status', error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'node.name' }) });
    expect(outcomes[1]?.start).toMatchObject({ state: 'failed', step: 'node-status', error: expect.objectContaining({ code: 'INVALID_INPUT', field: 'image' }) });
    expect(outcomes[2]?.error).toMatchObject({ code: 'INVALID_INPUT', field: 'node.name' });
    expect(lines.map((line) => [line.reservation, line.step])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect(lines[0]?.detail).toMatch(/^node-status: INVALID_INPUT /);
    expect(commands).toEqual([]);
    await provisioner.close();
    await pool.close();
  });
});
