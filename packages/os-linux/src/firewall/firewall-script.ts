import { raw, sh, shellJoin, shellQuote, type ShellFragment } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import { ACCESS_GRANTS_FILE, formatAccessGrants, parseAccessGrants, type AccessGrant } from './access-grants.ts';
import { firewalldCommands } from './firewalld-commands.ts';
import { buildIptablesRestore, IPTABLES_CHAIN } from './iptables-rules.ts';
import { buildNftRuleset } from './nftables-rules.ts';
import { ufwCommands } from './ufw-commands.ts';

/** The firewall tools provkit drives. */
export type FirewallKind = 'nftables' | 'iptables' | 'firewalld' | 'ufw';

/** All of them, in detection order: a firewall manager in charge wins over the raw tools. */
export const FIREWALL_KINDS: readonly FirewallKind[] = ['firewalld', 'ufw', 'nftables', 'iptables'];

/** What the inspection script found on the guest. */
export interface FirewallInspection {
  /** The firewall in charge, or `none` when no known tool works. */
  kind: FirewallKind | 'none';
  /** The address the management connection comes from (`SSH_CLIENT`), kept allowed. */
  managementAddress: string | undefined;
  grants: AccessGrant[];
}

/**
 * Prints which firewall is in charge (`backend=`), the SSH client's address (`client=`) and
 * the grants in force (`grant <ip> <port>`).
 */
export function inspectFirewallScript(): ShellFragment {
  return guestScript(sh`if pk_have firewall-cmd && firewall-cmd --state >/dev/null 2>&1; then echo backend=firewalld
elif pk_have ufw && ufw status 2>/dev/null | grep -q '^Status: active'; then echo backend=ufw
elif pk_have nft && nft list tables >/dev/null 2>&1; then echo backend=nftables
elif pk_have iptables && iptables -S INPUT >/dev/null 2>&1; then echo backend=iptables
else echo backend=none; fi
echo "client=$(echo "$SSH_CLIENT" | cut -d' ' -f1)"
if [ -f ${ACCESS_GRANTS_FILE} ]; then sed 's/^/grant /' ${ACCESS_GRANTS_FILE}; fi
`);
}

/** Reads the inspection script's output. */
export function parseFirewallInspection(stdout: string): FirewallInspection {
  const lines = stdout.split('\n');
  const backend = lines.find((line) => line.startsWith('backend='))?.slice('backend='.length).trim();
  const client = lines.find((line) => line.startsWith('client='))?.slice('client='.length).trim();
  const kind = (FIREWALL_KINDS as readonly string[]).includes(backend ?? '') ? (backend as FirewallKind) : 'none';
  const grants = parseAccessGrants(lines.filter((line) => line.startsWith('grant ')).map((line) => line.slice('grant '.length)));
  return { kind, managementAddress: client ? client : undefined, grants };
}

/** What an apply script changes. */
export interface FirewallChange {
  kind: FirewallKind;
  before: readonly AccessGrant[];
  after: readonly AccessGrant[];
  /** Addresses that stay allowed on every granted port (the management connection). */
  management: readonly string[];
}

function diff(from: readonly AccessGrant[], to: readonly AccessGrant[]): AccessGrant[] {
  return to.filter((grant) => !from.some((other) => other.remoteIp === grant.remoteIp && other.port === grant.port));
}

function iptablesFamily(tool: 'iptables' | 'ip6tables', text: string | undefined): string {
  const chain = IPTABLES_CHAIN;
  if (text === undefined) {
    return `if ${tool} -S ${chain} >/dev/null 2>&1; then
  while ${tool} -D INPUT -j ${chain} 2>/dev/null; do :; done
  ${tool} -F ${chain} && ${tool} -X ${chain} || pk_fail "cannot remove ${tool} chain ${chain}"
  pk_say removed "${tool} chain ${chain}"
fi
`;
  }
  return `printf '%s' ${shellQuote(text)} | ${tool}-restore --noflush || pk_fail "${tool}-restore refused the rules"
${tool} -C INPUT -j ${chain} 2>/dev/null || ${tool} -I INPUT 1 -j ${chain} || pk_fail "cannot jump to ${chain} from INPUT"
pk_say changed "${tool} chain ${chain}"
`;
}

/**
 * The script that brings the guest's firewall from `before` to `after` and records `after` in
 * the grants file. nftables and iptables get provkit's whole table/chain rebuilt (atomically
 * for nftables); firewalld and ufw get the difference as rule additions and deletions.
 */
export function applyFirewallScript(change: FirewallChange): ShellFragment {
  let body: string;
  switch (change.kind) {
    case 'nftables':
      body = `printf '%s' ${shellQuote(buildNftRuleset(change.after, change.management))} | nft -f - || pk_fail "nft refused the provkit table"
pk_say changed "nftables table inet provkit"
`;
      break;
    case 'iptables': {
      const v6 = buildIptablesRestore(change.after, change.management, 6);
      body = iptablesFamily('iptables', buildIptablesRestore(change.after, change.management, 4));
      body += v6 === undefined ? `if pk_have ip6tables; then\n${iptablesFamily('ip6tables', undefined)}fi\n` : iptablesFamily('ip6tables', v6);
      break;
    }
    case 'firewalld':
    case 'ufw': {
      const commands = (change.kind === 'firewalld' ? firewalldCommands : ufwCommands)(diff(change.before, change.after), diff(change.after, change.before));
      body = commands.map((argv) => `${shellJoin(argv)} || pk_fail ${shellQuote(`${argv[0]} ${argv[1]} failed`)}\npk_say changed ${shellQuote(argv.slice(1).join(' '))}\n`).join('');
      break;
    }
  }
  const grantsText = formatAccessGrants(change.after);
  const file = ACCESS_GRANTS_FILE;
  const record = grantsText
    ? `mkdir -p ${shellQuote(dirname(file))} && printf '%s' ${shellQuote(grantsText)} >${shellQuote(`${file}.tmp`)} && mv -f ${shellQuote(`${file}.tmp`)} ${shellQuote(file)} || pk_fail "cannot record the grants"\n`
    : `rm -f ${shellQuote(file)}\n`;
  return guestScript(raw(body + record));
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
