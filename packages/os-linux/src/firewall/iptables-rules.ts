import { grantedPorts, grantsOfFamily, type AccessGrant } from './access-grants.ts';
import { isIP } from 'node:net';

/** The iptables chain provkit owns, jumped to from the top of INPUT. */
export const IPTABLES_CHAIN = 'PROVKIT-INPUT';

/**
 * An `iptables-restore --noflush` (or `ip6tables-restore`) text that refills provkit's own
 * chain for one address family: established connections continue, grantees and management
 * addresses are accepted on the granted ports, everyone else is dropped there. `undefined`
 * when the family has no grants (the chain is then removed instead).
 */
export function buildIptablesRestore(grants: readonly AccessGrant[], management: readonly string[], family: 4 | 6): string | undefined {
  const own = grantsOfFamily(grants, family);
  const ports = grantedPorts(own);
  if (ports.length === 0) return undefined;
  const host = family === 4 ? '/32' : '/128';
  const lines = [
    '*filter',
    `:${IPTABLES_CHAIN} - [0:0]`,
    `-F ${IPTABLES_CHAIN}`,
    `-A ${IPTABLES_CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    `-A ${IPTABLES_CHAIN} -i lo -j ACCEPT`,
  ];
  for (const ip of [...new Set(management)].filter((address) => isIP(address) === family)) {
    for (const port of ports) lines.push(`-A ${IPTABLES_CHAIN} -s ${ip}${host} -p tcp --dport ${port} -m comment --comment provkit-management -j ACCEPT`);
  }
  for (const grant of own) lines.push(`-A ${IPTABLES_CHAIN} -s ${grant.remoteIp}${host} -p tcp --dport ${grant.port} -m comment --comment provkit-grant -j ACCEPT`);
  for (const port of ports) lines.push(`-A ${IPTABLES_CHAIN} -p tcp --dport ${port} -m comment --comment provkit-restrict -j DROP`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
