import { randomBytes } from 'node:crypto';
import { Secret } from '@provkit/core';
import type { VcsimLabState } from '@provkit/lab';
import { EsxProvisioner, type EsxProvisionerOptions } from '../src/index.ts';
import type { VimDriver } from '../src/vsphere/vim-driver.ts';
import { decodeString } from '../src/translation/vim-responses.ts';

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
