import { InvalidInputError } from '../errors/index.ts';
import { checkIpAddress, checkPort } from './validate.ts';

/**
 * The one check of `grantAccess` / `revokeAccess` input every OS module runs first: the
 * user's address (`remoteIp`) and at least one TCP port (`ports[<index>]`), refused with
 * `InvalidInputError` naming the field. Duplicate ports are dropped, order kept.
 */
export function checkAccess(options: { remoteIp: unknown; ports: unknown }): { remoteIp: string; ports: number[] } {
  const remoteIp = checkIpAddress('remoteIp', options.remoteIp);
  if (!Array.isArray(options.ports) || options.ports.length === 0) throw new InvalidInputError('ports', 'expected at least one port');
  const ports = [...new Set((options.ports as unknown[]).map((port, index) => checkPort(`ports[${index}]`, port)))];
  return { remoteIp, ports };
}
