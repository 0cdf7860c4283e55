import { isIP } from 'node:net';

/** One opened port: `port` (TCP) reachable from `remoteIp`. */
export interface AccessGrant {
  remoteIp: string;
  port: number;
}

/**
 * Where provkit keeps the grants it applied on a guest: a `# boot <boot id>` line (the boot
 * they were applied in), then one `<ip> <port>` a line.
 */
export const ACCESS_GRANTS_FILE = '/var/lib/provkit/access-grants';

/** The grants file's text for a list of grants. */
export function formatAccessGrants(grants: readonly AccessGrant[]): string {
  return grants.map((grant) => `${grant.remoteIp} ${grant.port}\n`).join('');
}

/** Reads grants file lines; lines that are not `<ip> <port>` are dropped (the file is on the guest). */
export function parseAccessGrants(lines: readonly string[]): AccessGrant[] {
  const grants: AccessGrant[] = [];
  for (const line of lines) {
    const [remoteIp, portText, extra] = line.trim().split(/\s+/);
    const port = Number(portText);
    if (extra !== undefined || !remoteIp || isIP(remoteIp) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    grants.push({ remoteIp, port });
  }
  return sortGrants(grants);
}

function key(grant: AccessGrant): string {
  return `${grant.remoteIp} ${grant.port}`;
}

function sortGrants(grants: readonly AccessGrant[]): AccessGrant[] {
  const unique = new Map(grants.map((grant) => [key(grant), grant]));
  return [...unique.values()].sort((a, b) => a.remoteIp.localeCompare(b.remoteIp) || a.port - b.port);
}

/** The grants with `remoteIp` added on `ports` (sorted, without duplicates). */
export function addGrants(grants: readonly AccessGrant[], remoteIp: string, ports: readonly number[]): AccessGrant[] {
  return sortGrants([...grants, ...ports.map((port) => ({ remoteIp, port }))]);
}

/** The grants without `remoteIp` on `ports`. */
export function removeGrants(grants: readonly AccessGrant[], remoteIp: string, ports: readonly number[]): AccessGrant[] {
  return sortGrants(grants.filter((grant) => !(grant.remoteIp === remoteIp && ports.includes(grant.port))));
}

/** The sorted, distinct ports that have at least one grant. */
export function grantedPorts(grants: readonly AccessGrant[]): number[] {
  return [...new Set(grants.map((grant) => grant.port))].sort((a, b) => a - b);
}

/** The grants whose address is IPv4 (`4`) or IPv6 (`6`). */
export function grantsOfFamily(grants: readonly AccessGrant[], family: 4 | 6): AccessGrant[] {
  return grants.filter((grant) => isIP(grant.remoteIp) === family);
}
