import { raw, sh, shellJoin, shellQuote, type ShellFragment } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import { ACCESS_GRANTS_FILE, formatAccessGrants, parseAccessGrants, type AccessGrant } from './access-grants.ts';
import { firewalldCommands } from './firewalld-commands.ts';
import { buildIptablesRestore, IPTABLES_CHAIN } from './iptables-rules.ts';
import { parseNftGuestChains, type NftGuestChains } from './nftables-guest-chains.ts';
import { buildNftRuleset, changedGuestChains, NFT_GRANT_COMMENT, NFT_TABLE } from './nftables-rules.ts';
import { ufwCommands } from './ufw-commands.ts';

/** The firewall tools provkit drives. */
export type FirewallKind = 'nftables' | 'iptables' | 'firewalld' | 'ufw';

/** All of them, in detection order: a firewall manager in charge wins over the raw tools. */
export const FIREWALL_KINDS: readonly FirewallKind[] = ['firewalld', 'ufw', 'nftables', 'iptables'];

/** Where Linux tells the current boot apart from earlier ones. */
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/** What the inspection script found on the guest. */
export interface FirewallInspection {
  /** The firewall in charge, or `none` when no known tool works. */
  kind: FirewallKind | 'none';
  /** The address the management connection comes from (`SSH_CLIENT`), kept allowed. */
  managementAddress: string | undefined;
  /** The grants the grants file records (see {@link grantsInForce} for those still applied). */
  grants: AccessGrant[];
  /** The kernel boot id now (`/proc/sys/kernel/random/boot_id`). */
  boot: string | undefined;
  /** The boot id the grants file was written in; `undefined` for a file without one. */
  grantsBoot: string | undefined;
  /** The guest's own nftables input chains and the rules provkit inserted there. */
  nft: NftGuestChains;
}

const NFT_CHAINS = String.raw`if pk_have nft; then
  nft list chains 2>/dev/null | awk '$1 == "table" { f = $2; t = $3 } $1 == "chain" { c = $2 } $1 == "type" && $2 == "filter" && $3 == "hook" && $4 == "input" { print f, t, c }' |
    while read -r pk_f pk_t pk_c; do
      [ "$pk_f $pk_t" = "inet ${NFT_TABLE}" ] && continue
      echo "nft-chain $pk_f $pk_t $pk_c"
      nft -a list chain "$pk_f" "$pk_t" "$pk_c" 2>/dev/null | sed -n 's/.*comment "${NFT_GRANT_COMMENT}" # handle \([0-9][0-9]*\)$/\1/p' |
        while read -r pk_h; do echo "nft-tagged $pk_f $pk_t $pk_c $pk_h"; done
    done
fi
`;

/**
 * Prints which firewall is in charge (`backend=`), the SSH client's address (`client=`), the
 * boot id (`boot=`), the grants file's boot id and grants (`grants-boot=`, `grant <ip> <port>`)
 * and the guest's own nftables filter chains on the input hook with the rules provkit tagged
 * there (`nft-chain`, `nft-tagged`). It changes nothing.
 */
export function inspectFirewallScript(): ShellFragment {
  return guestScript(sh`if pk_have firewall-cmd && firewall-cmd --state >/dev/null 2>&1; then echo backend=firewalld
elif pk_have ufw && ufw status 2>/dev/null | grep -q '^Status: active'; then echo backend=ufw
elif pk_have nft && nft list tables >/dev/null 2>&1; then echo backend=nftables
elif pk_have iptables && iptables -S INPUT >/dev/null 2>&1; then echo backend=iptables
else echo backend=none; fi
echo "client=$(echo "$SSH_CLIENT" | cut -d' ' -f1)"
echo "boot=$(cat ${BOOT_ID_PATH} 2>/dev/null)"
if [ -f ${ACCESS_GRANTS_FILE} ]; then sed -n 's/^# boot /grants-boot=/p' ${ACCESS_GRANTS_FILE}; grep -v '^#' ${ACCESS_GRANTS_FILE} | sed 's/^/grant /'; fi
${raw(NFT_CHAINS)}`);
}

function value(lines: readonly string[], key: string): string | undefined {
  const found = lines.find((line) => line.startsWith(`${key}=`))?.slice(key.length + 1).trim();
  return found ? found : undefined;
}

/** Reads the inspection script's output. */
export function parseFirewallInspection(stdout: string): FirewallInspection {
  const lines = stdout.split('\n');
  const backend = value(lines, 'backend');
  const kind = (FIREWALL_KINDS as readonly string[]).includes(backend ?? '') ? (backend as FirewallKind) : 'none';
  const grants = parseAccessGrants(lines.filter((line) => line.startsWith('grant ')).map((line) => line.slice('grant '.length)));
  return { kind, managementAddress: value(lines, 'client'), grants, boot: value(lines, 'boot'), grantsBoot: value(lines, 'grants-boot'), nft: parseNftGuestChains(lines, NFT_TABLE) };
}

/**
 * The recorded grants that are still applied. firewalld and ufw keep their rules across a
 * reboot (provkit adds them to the permanent configuration too). nftables and iptables rules
 * live in the running kernel only: after a reboot they are gone while the file still lists
 * them, so grants recorded in an earlier boot count as none, and the next grant or revoke
 * does not bring back a stale grantee. A file without a boot id (older provkit) is trusted.
 */
export function grantsInForce(inspection: FirewallInspection, kind: FirewallKind): AccessGrant[] {
  if (kind === 'firewalld' || kind === 'ufw') return inspection.grants;
  if (inspection.grantsBoot === undefined || inspection.grantsBoot === inspection.boot) return inspection.grants;
  return [];
}

/** What an apply script changes. */
export interface FirewallChange {
  kind: FirewallKind;
  before: readonly AccessGrant[];
  after: readonly AccessGrant[];
  /** Addresses that stay allowed on every granted port (the management connection). */
  management: readonly string[];
  /** nftables only: the guest's own input chains (from the inspection), which get the grants too. */
  nft?: Pick<NftGuestChains, 'chains' | 'tagged'>;
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
 * the grants file, stamped with the boot id (see {@link grantsInForce}). nftables gets
 * provkit's table and its tagged rules in the guest's own input chains rebuilt in one
 * transaction (see `buildNftRuleset`); iptables gets provkit's chain refilled; firewalld and
 * ufw get the difference as rule additions and deletions.
 */
export function applyFirewallScript(change: FirewallChange): ShellFragment {
  let body: string;
  switch (change.kind) {
    case 'nftables':
      body = `printf '%s' ${shellQuote(buildNftRuleset(change.after, change.management, change.nft))} | nft -f - || pk_fail "nft refused the provkit rules"
pk_say changed "nftables table inet provkit"
${changedGuestChains(change.after, change.nft ?? { chains: [], tagged: [] }).map((chain) => `pk_say changed ${shellQuote(`nftables chain ${chain.family} ${chain.table} ${chain.chain}`)}\n`).join('')}`;
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
  const temporary = shellQuote(`${file}.tmp`);
  const record = grantsText
    ? `mkdir -p ${shellQuote(dirname(file))} && { printf '# boot %s\\n' "$(cat ${BOOT_ID_PATH} 2>/dev/null)"; printf '%s' ${shellQuote(grantsText)}; } >${temporary} && mv -f ${temporary} ${shellQuote(file)} || pk_fail "cannot record the grants"\n`
    : `if [ -e ${shellQuote(file)} ]; then rm -f ${shellQuote(file)} || pk_fail "cannot remove the grants file"; pk_say removed ${shellQuote(file)}; fi\n`;
  return guestScript(raw(body + record));
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
