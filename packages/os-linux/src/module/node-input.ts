import { checkHost, checkNode, checkPort, InvalidInputError, type NodeSpec } from '@provkit/core';

/** The node after core's one node check, or {@link InvalidInputError} naming the field. */
export function validNode(node: NodeSpec): NodeSpec {
  return checkNode('node', node);
}

/** At least one valid TCP port, each checked as `ports[<index>]`. */
export function validPorts(ports: readonly number[]): number[] {
  if (!Array.isArray(ports) || ports.length === 0) throw new InvalidInputError('ports', 'expected at least one port');
  return ports.map((port, index) => checkPort(`ports[${index}]`, port));
}

/** A host name (not an IP address) for `field`. */
export function validHostname(field: string, hostname: unknown): string {
  const name = checkHost(field, hostname);
  if (/^[0-9.]+$/.test(name) || name.includes(':')) throw new InvalidInputError(field, 'an IP address is not a hostname');
  return name;
}

/** The node name as a hostname, or the reason it cannot be one. */
export function nodeNameAsHostname(name: string): string | InvalidInputError {
  try {
    return validHostname('node.name', name);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
}
