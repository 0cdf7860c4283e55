import type { LoadResult, NodeSpec, OsModuleV1, ProvisionerV1 } from '@provkit/core';
import { expect } from 'vitest';
import { expectErrorCode, withFresh } from '../kit/test-api.ts';
import type { ProvisionerKitOptions } from './options.ts';

/** Runs `body` with a fresh provisioner from the options' factory, closed afterwards. */
export function withProvisioner<T>(options: ProvisionerKitOptions, body: (provisioner: ProvisionerV1) => Promise<T>): Promise<T> {
  return withFresh(options.createProvisioner, body);
}

/** The OS module the load groups pass per call; they cannot run without one. */
export function osModuleOf(options: ProvisionerKitOptions): OsModuleV1 {
  if (!options.osModule) throw new Error('the conformance kit needs options.osModule for the groups that load nodes');
  return options.osModule;
}

/** The node as `load` left it: with the address its SSH answered at. */
export function addressed(node: NodeSpec, loaded: LoadResult): NodeSpec {
  return loaded.address ? { ...node, address: loaded.address } : node;
}

/** Asserts the node does not exist on the host: `powerStatus` raises NODE_NOT_FOUND (a node that is merely off fails). */
export async function expectAbsent(provisioner: ProvisionerV1, node: NodeSpec): Promise<void> {
  await expectErrorCode(provisioner.powerStatus({ node }), 'NODE_NOT_FOUND');
}

/** Loads `image` onto a fresh node with the kit's OS module and returns the addressed node. */
export async function loadFresh(options: ProvisionerKitOptions, provisioner: ProvisionerV1, image = options.image): Promise<NodeSpec> {
  const node = await options.newNode();
  const loaded = await provisioner.load({ node, image, osModule: osModuleOf(options) });
  expect(loaded).toMatchObject({ node: node.name, image });
  return addressed(node, loaded);
}

/** Unloads every node and deletes every image a check made, whatever happened in it. */
export async function cleanUp(provisioner: ProvisionerV1, made: { nodes?: NodeSpec[]; images?: string[] }): Promise<void> {
  for (const node of made.nodes ?? []) await provisioner.unload({ node }).catch(() => undefined);
  for (const image of made.images ?? []) await provisioner.deleteImage({ image }).catch(() => undefined);
}

/** The kit's two timeouts. */
export function timeouts(options: ProvisionerKitOptions): { load: number; quick: number } {
  return { load: options.loadTimeoutMs ?? 600_000, quick: options.quickTimeoutMs ?? 60_000 };
}
