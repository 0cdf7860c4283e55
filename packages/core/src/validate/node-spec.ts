import { InvalidInputError } from '../errors/index.ts';
import type { NodeSpec } from '../contracts/shared/node.ts';
import { assertHost, assertName, assertPort } from './validate.ts';

/**
 * The one node check every provisioner and OS module runs first: `value` must be a node with
 * a valid name (`<field>.name`) and, when it has an address, a valid host and port
 * (`<field>.address.host`, `<field>.address.port`). Refused with `InvalidInputError` naming
 * the field; returns the node as given.
 */
export function assertNodeSpec(field: string, value: unknown): NodeSpec {
  if (!value || typeof value !== 'object') throw new InvalidInputError(field, 'a node { name, address? } is required');
  const node = value as NodeSpec;
  assertName(`${field}.name`, node.name);
  if (node.address !== undefined) {
    if (!node.address || typeof node.address !== 'object') throw new InvalidInputError(`${field}.address`, 'must be { host, port? }');
    assertHost(`${field}.address.host`, node.address.host);
    if (node.address.port !== undefined) assertPort(`${field}.address.port`, node.address.port);
  }
  return node;
}
