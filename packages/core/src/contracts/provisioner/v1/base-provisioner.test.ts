import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../errors/index.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import { BaseProvisioner } from './base-provisioner.ts';
import type { NodeStatusOptions, NodeStatusResult } from './status.ts';

/** A provisioner written before `nodeStatuses` existed: it has only `nodeStatus`. */
class OlderProvisioner extends BaseProvisioner {
  readonly provider = 'older';
  readonly asked: string[] = [];
  async nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
    this.asked.push(`${options.node.name}:${options.image ?? '-'}`);
    return { status: options.node.name.endsWith('1') ? 'ready' : 'reload', power: 'on', ssh: true, detail: options.node.name };
  }
  load = unsupported;
  capture = unsupported;
  unload = unsupported;
  powerOn = unsupported;
  powerOff = unsupported;
  powerStatus = unsupported;
  getImageSize = unsupported;
  listImages = unsupported;
  deleteImage = unsupported;
}

async function unsupported(_options?: NodeOperationOptions | unknown): Promise<never> {
  throw new Error('not used here');
}

describe('BaseProvisioner.nodeStatuses default', () => {
  it('asks nodeStatus for every node and answers in the order given', async () => {
    const provisioner = new OlderProvisioner();
    const nodes = Array.from({ length: 20 }, (_, i) => ({ name: `node-${i}` }));
    const entries = await provisioner.nodeStatuses({ nodes, image: 'web-v1', concurrency: 3 });
    expect(entries.map((entry) => entry.node)).toEqual(nodes.map((node) => node.name));
    expect(entries.map((entry) => entry.status.detail)).toEqual(nodes.map((node) => node.name));
    expect(entries[1]!.status.status).toBe('ready');
    expect([...provisioner.asked].sort()).toEqual(nodes.map((node) => `${node.name}:web-v1`).sort());
  });

  it('refuses a bad concurrency before asking anything', async () => {
    const provisioner = new OlderProvisioner();
    await expect(provisioner.nodeStatuses({ nodes: [{ name: 'a' }], concurrency: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    expect(provisioner.asked).toEqual([]);
  });
});
