import { sh } from '@provkit/core';
import { ACCESS_GRANTS_FILE } from '../firewall/access-grants.ts';
import { chosenFirewall, refuseUnaddressableNft } from '../firewall/firewall-choice.ts';
import { applyFirewallScript, grantsInForce, inspectFirewallScript, parseFirewallInspection } from '../firewall/firewall-script.ts';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation, OperationContext, OperationScript } from './generalization-operation.ts';

/**
 * The script that withdraws every grant an `inspectFirewallScript` run found, with the
 * firewall in charge (or the configured one), through the same apply script `revokeAccess`
 * uses, which also removes the grants file. With nothing left to revoke (no grants file,
 * grants of an earlier boot whose kernel rules died with it, no firewall) only a leftover
 * grants file is removed, so a second run changes nothing.
 *
 * Revoking only takes rules away: the guest is back to its own firewall, the one the
 * management connection came through before any grant, and the running connection is kept.
 */
export function revokeAllGrantsScript(inspectionStdout: string, context: OperationContext): OperationScript {
  const inspection = parseFirewallInspection(inspectionStdout);
  const kind = chosenFirewall(inspection, context.firewall);
  const before = kind === 'none' ? [] : grantsInForce(inspection, kind);
  const tagged = kind === 'nftables' ? inspection.nft.tagged.length : 0;
  if (kind === 'none' || (before.length === 0 && tagged === 0)) return { script: guestScript(sh`pk_rm ${ACCESS_GRANTS_FILE}\n`) };
  refuseUnaddressableNft(inspection, kind, 'the access-grants operation', 'the guest');
  const management = [...(context.managementAddresses ?? []), ...(inspection.managementAddress ? [inspection.managementAddress] : [])];
  return { script: applyFirewallScript({ kind, before, after: [], management, nft: inspection.nft }) };
}

/**
 * Revokes provkit's access grants before capture: firewalld and ufw grants are permanent and
 * would be in the image; nftables and iptables ones die with the boot, but the grants file
 * would still be captured. Runs late (only `tmp-files` after it), so every earlier step has
 * the management connection exactly as it was.
 */
export const accessGrantsOperation: GeneralizationOperation = {
  name: 'access-grants',
  origin: 'provkit',
  description: `Revoke every grant grantAccess made, with the firewall the guest has (nftables, iptables, firewalld or ufw), and remove ${ACCESS_GRANTS_FILE}.`,
  defaultEnabled: true,
  build: () => ({ script: inspectFirewallScript() }),
  followUp: (stdout, context) => revokeAllGrantsScript(stdout, context),
};
