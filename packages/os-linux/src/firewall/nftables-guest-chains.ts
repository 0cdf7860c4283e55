/** An nftables address family whose input hook sees the packets provkit grants. */
export type NftFamily = 'ip' | 'ip6' | 'inet';

/** One of the guest's own base chains of type filter on the input hook. */
export interface NftChainRef {
  family: NftFamily;
  table: string;
  chain: string;
}

/** A rule provkit inserted into a guest chain, found again by its comment, deleted by handle. */
export interface NftTaggedRule extends NftChainRef {
  handle: number;
}

/** What the inspection found of the guest's own nftables input chains. */
export interface NftGuestChains {
  chains: NftChainRef[];
  tagged: NftTaggedRule[];
  /** Chains whose names provkit cannot write back safely (they are printed, not guessed at). */
  unaddressable: string[];
}

const FAMILIES: readonly string[] = ['ip', 'ip6', 'inet'];
// nft's own identifier syntax; anything else would need quoting provkit does not do.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_./-]{0,63}$/;

/**
 * Reads the inspection's `nft-chain <family> <table> <chain>` and
 * `nft-tagged <family> <table> <chain> <handle>` lines (the guest printed them, so each part
 * is checked). Chains of other families (bridge, netdev, arp) do not filter local input and
 * are ignored; provkit's own table is not a guest chain.
 */
export function parseNftGuestChains(lines: readonly string[], ownTable: string): NftGuestChains {
  const result: NftGuestChains = { chains: [], tagged: [], unaddressable: [] };
  for (const line of lines) {
    const [kind, ...parts] = line.trim().split(/\s+/);
    if (kind !== 'nft-chain' && kind !== 'nft-tagged') continue;
    const [family, table, chain, handleText] = parts;
    if (!family || !FAMILIES.includes(family) || (family === 'inet' && table === ownTable)) continue;
    const handle = Number(handleText);
    const wellFormed = kind === 'nft-chain' ? parts.length === 3 : parts.length === 4 && Number.isInteger(handle) && handle > 0;
    if (!wellFormed || !IDENTIFIER.test(table ?? '') || !IDENTIFIER.test(chain ?? '')) {
      result.unaddressable.push(parts.join(' '));
      continue;
    }
    const ref: NftChainRef = { family: family as NftFamily, table: table!, chain: chain! };
    if (kind === 'nft-chain') result.chains.push(ref);
    else result.tagged.push({ ...ref, handle });
  }
  return result;
}
