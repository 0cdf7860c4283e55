import type { NodeAddress, PowerState } from '@provkit/core';

/** What is on a disk: the guest's files, users, firewall grants. */
export interface MemoryDisk {
  files: Map<string, string>;
  users: Map<string, { admin: boolean; hasPassword: boolean }>;
  /** `<ip>:<port>` pairs the firewall lets in. */
  grants: Set<string>;
}

/** A node defined on the host. */
export interface MemoryNode {
  name: string;
  /** False for a machine provkit did not create: provkit never touches it. */
  managed: boolean;
  power: Exclude<PowerState, 'suspended' | 'unknown'>;
  /** The library image the node was loaded from. */
  image: string;
  address?: NodeAddress;
  boots: number;
}

/** One image in the library. */
export interface MemoryImage {
  disk: MemoryDisk;
  virtualBytes: number;
}

/** An empty disk. */
export function emptyDisk(): MemoryDisk {
  return { files: new Map(), users: new Map(), grants: new Set() };
}

/** A deep copy of a disk (a full clone or a flattened capture). */
export function copyDisk(disk: MemoryDisk): MemoryDisk {
  return structuredClone(disk);
}

/**
 * The in-memory host the reference modules drive: an image library, node disks and node
 * definitions, like a libvirt host with its image directory. The provisioner manages
 * definitions and disks; the OS module reaches a node's disk through its address, only
 * while the node is on, as SSH would.
 */
export class MemoryHost {
  readonly images = new Map<string, MemoryImage>();
  /** Node disks by node name; a disk can outlive its definition (a load aborted halfway). */
  readonly disks = new Map<string, MemoryDisk & { image: string }>();
  readonly nodes = new Map<string, MemoryNode>();

  /** Puts an image into the library. */
  addImage(name: string, virtualBytes = 1 << 30): void {
    this.images.set(name, { disk: emptyDisk(), virtualBytes });
  }

  /** The running node answering at `address`, if any. */
  nodeAt(address: NodeAddress | undefined): MemoryNode | undefined {
    return [...this.nodes.values()].find((node) => node.power === 'on' && node.address !== undefined && node.address.host === address?.host && node.address.port === address.port);
  }

  /** Node names whose disks come from `image`. */
  usersOf(image: string): string[] {
    return [...this.disks].filter(([, disk]) => disk.image === image).map(([name]) => name);
  }
}
