import { UnsupportedFunctionalityError } from '@provkit/core';
import type { FirewallInspection, FirewallKind } from './firewall-script.ts';

/** The firewall to drive: the configured one, or (`auto`) the one the inspection found in charge. */
export function chosenFirewall(inspection: FirewallInspection, wanted: 'auto' | FirewallKind = 'auto'): FirewallKind | 'none' {
  return wanted === 'auto' ? inspection.kind : wanted;
}

/**
 * Refuses to drive nftables on a guest with input chains whose names provkit cannot write
 * back safely (it would miss the grants it tagged there). `guest` names it in the error
 * (`node web-1`).
 */
export function refuseUnaddressableNft(inspection: FirewallInspection, kind: FirewallKind | 'none', operation: string, guest: string): void {
  if (kind === 'nftables' && inspection.nft.unaddressable.length > 0) {
    throw new UnsupportedFunctionalityError(operation, `${guest}'s nftables chains with names provkit does not write: ${inspection.nft.unaddressable.join('; ')}`);
  }
}
