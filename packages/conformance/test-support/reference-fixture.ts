import type { NodeAddress, NodeSpec } from '@provkit/core';
import type { OsModuleKitOptions } from '../src/os-module/options.ts';
import type { ProvisionerKitOptions } from '../src/provisioner/options.ts';
import { emptyDisk, MemoryHost } from '../src/reference/memory-host.ts';
import { MemoryOsModule } from '../src/reference/memory-os-module.ts';
import { MemoryProvisioner } from '../src/reference/memory-provisioner.ts';

let serial = 0;

/** Defines a running node on the host as a fixture: one provkit did not create, unless `managed`. */
export function bootNode(host: MemoryHost, name: string, address: NodeAddress, managed = false): NodeSpec {
  host.disks.set(name, { ...emptyDisk(), image: 'fixture-v1' });
  host.nodes.set(name, { name, managed, power: 'on', image: 'fixture-v1', address, boots: 1 });
  return { name, address };
}
const next = (): number => ++serial;

/** What the kit needs to run against a provisioner class built like the reference one. */
export function referenceProvisionerOptions(create: (host: MemoryHost) => MemoryProvisioner = (host) => new MemoryProvisioner({ host })): ProvisionerKitOptions {
  const host = new MemoryHost();
  host.addImage('base-v1');
  const osModule = new MemoryOsModule({ host });
  return {
    createProvisioner: () => create(host),
    osModule,
    image: 'base-v1',
    newNode: (): NodeSpec => {
      const id = next();
      return { name: `node-${id}`, address: { host: '192.0.2.1', port: 10_000 + id } };
    },
    newImageName: () => `captured-${next()}-v1`,
    unmanagedNode: async () => {
      const id = next();
      return bootNode(host, `foreign-${id}`, { host: '192.0.2.2', port: 10_000 + id });
    },
    retrieveTarget: async () => create(new MemoryHost()),
    quickTimeoutMs: 10_000,
    loadTimeoutMs: 10_000,
  };
}

/** What the kit needs to run against an OS module class built like the reference one. */
export function referenceOsModuleOptions(create: (host: MemoryHost) => MemoryOsModule = (host) => new MemoryOsModule({ host })): OsModuleKitOptions {
  const host = new MemoryHost();
  const live: NodeSpec = { name: 'live', address: { host: '192.0.2.3', port: 22 } };
  bootNode(host, live.name, live.address!, true);
  return {
    createOsModule: () => create(host),
    node: () => live,
    unreachableNode: () => ({ name: 'unreachable', address: { host: '192.0.2.4', port: 22 } }),
    disposableNode: async () => {
      const id = next();
      const node: NodeSpec = { name: `disposable-${id}`, address: { host: '192.0.2.5', port: 10_000 + id } };
      bootNode(host, node.name, node.address!, true);
      return node;
    },
    observeNode: async (node) => {
      const found = host.nodes.get(node.name);
      const disk = host.disks.get(node.name);
      const users = Object.fromEntries([...(disk?.users ?? [])].map(([name, user]) => [name, { admin: user.admin, hasPassword: user.hasPassword }]));
      return { power: found?.power ?? 'off', boots: found?.boots ?? 0, users, grants: [...(disk?.grants ?? [])] };
    },
    unreachableTimeoutMs: 100,
    quickTimeoutMs: 10_000,
  };
}
