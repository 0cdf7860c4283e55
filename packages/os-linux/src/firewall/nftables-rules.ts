import { isIP } from 'node:net';
import { grantedPorts, grantsOfFamily, type AccessGrant } from './access-grants.ts';
import type { NftChainRef, NftGuestChains } from './nftables-guest-chains.ts';

/** The nftables table provkit owns. */
export const NFT_TABLE = 'provkit';

/** The comment on every rule provkit adds, in its table and in the guest's chains. */
export const NFT_GRANT_COMMENT = 'provkit grant';

function saddr(ip: string): string {
  return isIP(ip) === 6 ? `ip6 saddr ${ip}` : `ip saddr ${ip}`;
}

function portSet(ports: readonly number[]): string {
  return ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`;
}

function grantsFor(chain: NftChainRef, grants: readonly AccessGrant[]): AccessGrant[] {
  if (chain.family === 'inet') return [...grants];
  return grantsOfFamily(grants, chain.family === 'ip' ? 4 : 6);
}

/** The guest chains an apply changes: those that get grants and those that lose tagged rules. */
export function changedGuestChains(grants: readonly AccessGrant[], guest: Pick<NftGuestChains, 'chains' | 'tagged'>): NftChainRef[] {
  const name = (chain: NftChainRef): string => `${chain.family} ${chain.table} ${chain.chain}`;
  const losing = new Set(guest.tagged.map(name));
  return guest.chains.filter((chain) => losing.has(name(chain)) || grantsFor(chain, grants).length > 0);
}

/**
 * An `nft -f` script, applied as one transaction, that brings the guest to `grants`.
 *
 * provkit's own `inet provkit` table (priority -10, policy accept) accepts the grantees and
 * the management addresses on each granted port and drops everyone else there. An accept
 * only ends the base chain it is in, though: the guest's own input chains (a `policy drop`
 * table of its own, iptables-nft's INPUT) still see the packet. So each grant is also inserted
 * at the top of every one of the guest's filter chains on the input hook (`guest.chains`),
 * tagged with {@link NFT_GRANT_COMMENT}; the tagged rules found there (`guest.tagged`) are
 * deleted by handle first, so the guest's own rules are never touched and revoking the last
 * grant leaves its ruleset as it was. With no grants provkit's table is removed. Ports nobody
 * was granted are left to the guest's own rules.
 */
export function buildNftRuleset(grants: readonly AccessGrant[], management: readonly string[], guest: Pick<NftGuestChains, 'chains' | 'tagged'> = { chains: [], tagged: [] }): string {
  const lines = [`table inet ${NFT_TABLE}`, `delete table inet ${NFT_TABLE}`];
  for (const rule of guest.tagged) lines.push(`delete rule ${rule.family} ${rule.table} ${rule.chain} handle ${rule.handle}`);
  const ports = grantedPorts(grants);
  if (ports.length > 0) {
    lines.push(
      `table inet ${NFT_TABLE} {`,
      '\tchain input {',
      '\t\ttype filter hook input priority -10; policy accept;',
      '\t\tct state established,related accept',
      '\t\tiifname "lo" accept',
    );
    for (const ip of [...new Set(management)]) lines.push(`\t\t${saddr(ip)} tcp dport ${portSet(ports)} accept comment "provkit management"`);
    for (const grant of grants) lines.push(`\t\t${saddr(grant.remoteIp)} tcp dport ${grant.port} accept comment "${NFT_GRANT_COMMENT}"`);
    lines.push(`\t\ttcp dport ${portSet(ports)} drop comment "provkit restrict"`, '\t}', '}');
  }
  for (const chain of guest.chains) {
    // Each insert goes to the top of the chain: insert in reverse to keep the grants' order.
    for (const grant of grantsFor(chain, grants).reverse()) {
      lines.push(`insert rule ${chain.family} ${chain.table} ${chain.chain} ${saddr(grant.remoteIp)} tcp dport ${grant.port} accept comment "${NFT_GRANT_COMMENT}"`);
    }
  }
  return `${lines.join('\n')}\n`;
}
