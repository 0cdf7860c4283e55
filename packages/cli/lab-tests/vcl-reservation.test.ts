/**
 * A whole VCL reservation on the lab's real KVM host (libvirtd + QEMU TCG through the lab
 * sshd, the lab guest over SSH): Debian's perl runs integrations/vcl/t/reservation.t, which
 * drives VCL::Module::Provisioning::provkit (through the harness that stands in for vcld's
 * DataStructure) over one `provkit serve`: load, node_status READY, capture, reload of the
 * capture onto the same node, power off/on/status, unload. Three guest boots.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, prepareKvmRun, writeKvmProvkitConfig, type KvmRun } from '@provkit/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';
import { runPerlTap } from '../test-support/run-perl.ts';

let run: KvmRun;
let dir: string;
let config: string;
let node: string;

beforeAll(async () => {
  run = await prepareKvmRun('vcl');
  dir = await mkdtemp(join(tmpdir(), 'provkit-vcl-lab-'));
  node = `${run.prefix}-n`;
  config = await writeKvmProvkitConfig(run, dir, { [node]: await freeLoopbackPort() });
});

afterAll(async () => {
  // Unload is idempotent: removes whatever a failed run left.
  if (node) await runCli(['unload', node, '--config', config]);
  await run?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('VCL::Module::Provisioning::provkit on the lab KVM host', () => {
  it('runs a whole reservation: load, READY, capture, reload onto the same node, power, unload', async () => {
    const capture = 'vclcapture-v1';
    const tap = await runPerlTap({ script: 'reservation.t', cwd: dir, config, env: { RESERVATION_NODE: node, RESERVATION_IMAGE: run.image, RESERVATION_CAPTURE: capture, PROVKIT_RANDOMIZE_PASSWORDS: '0' } });

    expect(tap.failed, tap.stdout + tap.stderr).toEqual([]);
    expect(tap.code, tap.stderr).toBe(0);
    expect(tap.planned).toBe(26);
    expect(tap.passed).toHaveLength(26);
    expect(tap.passed).toEqual(expect.arrayContaining(['node_status after load: READY', 'capture: generalized, powered off, stored', 'node_status after reload: READY', 'node_status after reload: currentimage is the captured image', 'unload']));
    // The progress provkit sent while loading reached vcld's log (standard error here).
    expect(tap.stderr).toContain('provkit load: machine-booted');
    // The capture is in the library; the node is gone from libvirt.
    expect(execFileSync('ls', [run.libraryDir], { encoding: 'utf8' })).toContain(`${capture}.qcow2`);
    expect(execFileSync('virsh', ['-c', run.libvirt.uri, 'list', '--all', '--name'], { encoding: 'utf8' }).split('\n')).not.toContain(node);
  });
});
