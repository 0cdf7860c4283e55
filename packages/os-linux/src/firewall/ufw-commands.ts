import type { AccessGrant } from './access-grants.ts';

/** `ufw` argv lists that allow and delete one rule per grant (ufw's default incoming policy is deny). */
export function ufwCommands(added: readonly AccessGrant[], removed: readonly AccessGrant[]): string[][] {
  const rule = (grant: AccessGrant): string[] => ['proto', 'tcp', 'from', grant.remoteIp, 'to', 'any', 'port', String(grant.port)];
  return [
    ...added.map((grant) => ['ufw', 'allow', ...rule(grant), 'comment', 'provkit']),
    ...removed.map((grant) => ['ufw', 'delete', 'allow', ...rule(grant)]),
  ];
}
