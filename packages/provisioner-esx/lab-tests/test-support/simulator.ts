import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Secret } from '@provkit/core';
import { firstStdoutLine, labRoot, type VcsimLabState } from '@provkit/lab';

export { releaseClones, setClonePlan, type ClonePlan } from '@provkit/lab';
import { EsxProvisioner, type EsxProvisionerOptions } from '../../src/index.ts';
import type { VimDriver } from '../../src/vsphere/vim-driver.ts';
import { decodeString } from '../../src/translation/vim-responses.ts';

/** The lab's two simulator services: a standalone ESXi and a vCenter. */
export const SIMULATORS = ['vcsim-esx', 'vcsim-vpx'] as const;

/** A provisioner on the simulator's API, trusting its certificate as a CA file. */
export function provisionerFor(lab: VcsimLabState, extra: Partial<EsxProvisionerOptions> = {}): EsxProvisioner {
  return new EsxProvisioner({
    api: {
      url: lab.url,
      username: lab.username,
      password: Secret.of(lab.password),
      tls: { caFile: lab.caPath },
      datacenter: lab.datacenter,
      ...(lab.imagesFolder ? { imagesFolder: lab.imagesFolder } : {}),
    },
    ...extra,
  });
}

/** Names of every VM and template in the simulator's inventory. */
export async function inventoryNames(provisioner: EsxProvisioner): Promise<string[]> {
  const api = (provisioner.driver as VimDriver).api;
  const content = await api.client.serviceContent();
  const vms = await api.viewObjects(content.rootFolder, 'VirtualMachine', ['name']);
  return vms.map((vm) => decodeString(vm.props['name']) ?? '').sort();
}

/** A node or image name unique to this run. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** A simulator this test started for itself (with the current lab binary), and how to stop it. */
export interface PrivateSimulator {
  state: VcsimLabState;
  stop(): Promise<void>;
}

/**
 * Starts a simulator of the lab's current build on a free loopback port, for tests that need
 * behaviour of the lab binary the shared service may predate (it is rebuilt on change but
 * restarted only by `lab down`/`up`), or that must not disturb other users of the shared one.
 * Bounded: the build by the lab script's own lock, the start by 60 s.
 */
export async function startPrivateSimulator(mode: 'esx' | 'vpx'): Promise<PrivateSimulator> {
  const { stdout } = await promisify(execFile)('bash', [join(labRoot, 'services', `vcsim-${mode}.sh`), 'build'], { timeout: 600_000 });
  const binary = stdout.trim().split('\n').at(-1)!;
  const directory = mkdtempSync(join(tmpdir(), 'provkit-vcsim-'));
  const caPath = join(directory, 'cert.pem');
  const child = spawn(binary, ['-mode', mode, '-listen', '127.0.0.1:0', '-cert-out', caPath, '-images-folder', mode === 'vpx' ? 'provkit-images' : ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const line = await firstStdoutLine(child, 'the private simulator', 60_000, () => stderr);
    const info = JSON.parse(line) as Omit<VcsimLabState, 'caPath' | 'pidPath' | 'logPath'>;
    return { state: { ...info, caPath, pidPath: '', logPath: '' }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

