/**
 * libvirtd unreachable for a moment (issue 16, finding 2), on the lab's real host: the next
 * few virsh commands are pointed at a libvirt socket that does not exist, so virsh itself fails
 * with its real "failed to connect to the hypervisor" — what a libvirtd restart looks like to
 * the provisioner — without stopping the shared daemon. The boot wait polls through it within
 * its bound; a failed load's clean-up retries through it and leaves nothing running.
 */
import { sh, type NodeSpec } from '@provkit/core';
import type { Command, CommandRunner, RunOptions } from '@provkit/runners';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvmProvisioner } from '../src/index.ts';
import { nodeStatePaths } from '../src/intent-record.ts';
import { withRun } from './test-support/run-wrapper.ts';
import { startKvmLab, type KvmLab } from './test-support/lab-kvm.ts';

const NO_DAEMON_URI = 'qemu+unix:///system?socket=/run/provkit-lab-no-such-libvirt-sock';

let lab: KvmLab;
let kvm: KvmProvisioner;
const loaded: NodeSpec[] = [];
/** virsh commands still to be sent to the missing socket. */
let faults = 0;
let faulted: string[] = [];

/** The lab host's runner, with the next `faults` virsh commands aimed at a libvirt that is not there. */
function unreliable(runner: CommandRunner, uri: string): CommandRunner {
  return withRun(runner, (command: Command, options?: RunOptions) => {
    if (Array.isArray(command) && command[0] === 'virsh' && faults > 0) {
      faults--;
      faulted.push(command.join(' '));
      return runner.run(command.map((word: string) => (word === uri ? NO_DAEMON_URI : word)), options);
    }
    return runner.run(command, options);
  });
}

beforeAll(async () => {
  lab = await startKvmLab();
  kvm = lab.provisioner({ runner: unreliable(lab.host, lab.libvirt.uri) });
});

afterAll(async () => {
  faults = 0;
  for (const node of loaded) await kvm?.unload({ node }).catch(() => undefined);
  await kvm?.close();
  await lab?.close();
});

async function domainDefined(name: string): Promise<boolean> {
  return (await lab.host.run(['virsh', '--connect', lab.libvirt.uri, 'domstate', name], { check: false })).exitCode === 0;
}

describe('KvmProvisioner with libvirtd unreachable for a moment', () => {
  it('finding 2: the boot wait polls through "failed to connect to the hypervisor"; a failed load\'s clean-up retries through it and leaves no VM running', async () => {
    const node = await lab.newNode('flaky');
    loaded.push(node);

    // The boot wait: three domstate polls fail as during a libvirtd restart, then it answers.
    faulted = [];
    await kvm.load({ node, image: lab.image, onProgress: (event) => void (event.step === 'powered-on' && (faults = 3)) });
    expect(faulted).toHaveLength(3);
    expect(faulted.every((command) => command.includes(' domstate '))).toBe(true);
    expect(await kvm.powerStatus({ node })).toBe('on');

    // A load that fails late (aborted once booted) while libvirtd is away: its clean-up retries.
    faulted = [];
    const abort = new AbortController();
    const failure = await kvm
      .load({
        node,
        image: lab.image,
        signal: abort.signal,
        onProgress: (event) => {
          if (event.step !== 'machine-booted') return;
          faults = 3;
          abort.abort();
        },
      })
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string; step?: string; cleanupError?: unknown },
      );
    expect(failure).toMatchObject({ code: 'OPERATION_FAILED' });
    expect(failure?.cleanupError, String(failure?.cleanupError)).toBeUndefined();
    expect(faulted).toHaveLength(3);
    // Nothing of that load is left: no domain (so no VM running), no disk, no record.
    expect(await domainDefined(node.name)).toBe(false);
    expect((await lab.host.run(sh`ls -A -- ${lab.nodeDiskDir}`)).stdout.split('\n').filter((name) => name.startsWith(node.name))).toEqual([]);
    expect((await lab.host.run(sh`test -e ${nodeStatePaths(lab.nodeDiskDir, node.name).intent}`, { check: false })).exitCode).toBe(1);
  });
});
