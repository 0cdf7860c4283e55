import { checkNodeSpec, type NodeSpec } from '@provkit/core';
import { checkMacAddress, macForNode } from './translation/mac-address.ts';

/** A node with its validated name and address, and its MAC address (given, or derived from its name). */
export interface CheckedNode extends NodeSpec {
  mac: string;
}

/** Core's node check, plus the MAC address every KVM node gets. */
export function checkNode(given: NodeSpec): CheckedNode {
  const node = checkNodeSpec(given);
  return { ...node, mac: node.mac === undefined ? macForNode(node.name) : checkMacAddress('node.mac', node.mac) };
}
