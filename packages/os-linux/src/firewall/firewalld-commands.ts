import { isIP } from 'node:net';
import type { AccessGrant } from './access-grants.ts';

/** firewalld's rich rule that accepts `grant.port`/tcp from `grant.remoteIp`. */
export function firewalldRichRule(grant: AccessGrant): string {
  const family = isIP(grant.remoteIp) === 6 ? 'ipv6' : 'ipv4';
  return `rule family="${family}" source address="${grant.remoteIp}" port port="${grant.port}" protocol="tcp" accept`;
}

/**
 * `firewall-cmd` argv lists that add and remove rich rules, in the running and the permanent
 * configuration, so a grant survives a firewalld reload and a revoke leaves nothing behind.
 * firewalld zones reject what they do not allow, so the rich rule alone opens the port.
 */
export function firewalldCommands(added: readonly AccessGrant[], removed: readonly AccessGrant[]): string[][] {
  const commands: string[][] = [];
  for (const grant of added) {
    commands.push(['firewall-cmd', '--quiet', `--add-rich-rule=${firewalldRichRule(grant)}`]);
    commands.push(['firewall-cmd', '--quiet', '--permanent', `--add-rich-rule=${firewalldRichRule(grant)}`]);
  }
  for (const grant of removed) {
    commands.push(['firewall-cmd', '--quiet', `--remove-rich-rule=${firewalldRichRule(grant)}`]);
    commands.push(['firewall-cmd', '--quiet', '--permanent', `--remove-rich-rule=${firewalldRichRule(grant)}`]);
  }
  return commands;
}
