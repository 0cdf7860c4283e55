import { createHash } from 'node:crypto';
import { InvalidInputError } from '@provkit/core';

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Validates a unicast MAC address (`52:54:00:12:34:56`) and returns it in lower case. */
export function checkMacAddress(field: string, value: unknown): string {
  const mac = typeof value === 'string' ? value.toLowerCase() : '';
  if (!MAC_PATTERN.test(mac)) throw new InvalidInputError(field, `${JSON.stringify(value)} is not a MAC address like 52:54:00:12:34:56`);
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new InvalidInputError(field, `${mac} is a multicast address`);
  return mac;
}

/**
 * A stable MAC in QEMU's locally administered range `52:54:00` derived from the node name, so
 * a reloaded node keeps its address reservations (DHCP leases, firewall rules).
 */
export function macForNode(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  return ['52', '54', '00', ...[0, 1, 2].map((index) => digest[index]!.toString(16).padStart(2, '0'))].join(':');
}
