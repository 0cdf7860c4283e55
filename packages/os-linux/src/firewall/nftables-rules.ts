import { isIP } from 'node:net';
import { grantedPorts, type AccessGrant } from './access-grants.ts';

/** The nftables table provkit owns; nothing outside it is touched. */
export const NFT_TABLE = 'provkit';

function saddr(ip: string): string {
  return isIP(ip) === 6 ? `ip6 saddr ${ip}` : `ip saddr ${ip}`;
}

function portSet(ports: readonly number[]): string {
  return ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`;
}

/**
 * An `nft -f` script that atomically replaces provkit's own `inet provkit` table: on each
 * granted port, connections from the grantees and from the management addresses are
 * accepted, established ones continue, everyone else is dropped. With no grants the table is
 * removed. The chain's policy is accept, so ports nobody was granted are left to the guest's
 * own rules.
 */
export function buildNftRuleset(grants: readonly AccessGrant[], management: readonly string[]): string {
  const lines = [`table inet ${NFT_TABLE}`, `delete table inet ${NFT_TABLE}`];
  const ports = grantedPorts(grants);
  if (ports.length === 0) return `${lines.join('\n')}\n`;
  lines.push(
    `table inet ${NFT_TABLE} {`,
    '\tchain input {',
    '\t\ttype filter hook input priority -10; policy accept;',
    '\t\tct state established,related accept',
    '\t\tiifname "lo" accept',
  );
  for (const ip of [...new Set(management)]) lines.push(`\t\t${saddr(ip)} tcp dport ${portSet(ports)} accept comment "provkit management"`);
  for (const grant of grants) lines.push(`\t\t${saddr(grant.remoteIp)} tcp dport ${grant.port} accept comment "provkit grant"`);
  lines.push(`\t\ttcp dport ${portSet(ports)} drop comment "provkit restrict"`, '\t}', '}');
  return `${lines.join('\n')}\n`;
}
