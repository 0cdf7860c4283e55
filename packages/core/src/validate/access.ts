import { InvalidInputError } from '../errors/index.ts';
import { assertIpAddress, assertPort } from './validate.ts';

/**
 * The one check of `grantAccess` / `revokeAccess` input every OS module runs first: the
 * user's address (`remoteIp`) and at least one TCP port (`ports[<index>]`), refused with
 * `InvalidInputError` naming the field. Duplicate ports are dropped, order kept.
 */
export function assertAccess(options: { remoteIp: unknown; ports: unknown }): { remoteIp: string; ports: number[] } {
  const remoteIp = assertIpAddress('remoteIp', options.remoteIp);
  if (!Array.isArray(options.ports) || options.ports.length === 0) throw new InvalidInputError('ports', 'expected at least one port');
  const ports = [...new Set((options.ports as unknown[]).map((port, index) => assertPort(`ports[${index}]`, port)))];
  return { remoteIp, ports };
}
