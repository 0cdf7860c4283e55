import { checkAccess, checkNodeSpec, UnsupportedFunctionalityError, type AccessOptions, type NodeSpec } from '@provkit/core';
import { commandTimeout, type ModuleContext } from '../module/module-context.ts';
import { runGuestScript } from '../script/run-guest-script.ts';
import { addGrants, removeGrants, type AccessGrant } from './access-grants.ts';
import { chosenFirewall, refuseUnaddressableNft } from './firewall-choice.ts';
import { applyFirewallScript, grantsInForce, inspectFirewallScript, parseFirewallInspection } from './firewall-script.ts';

/** `LinuxOsModule.grantAccess`: adds `remoteIp` on `ports` to the grants and applies them. */
export async function grantAccess(context: ModuleContext, options: AccessOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const { remoteIp, ports } = checkAccess(options);
  context.require('firewall', 'grantAccess');
  await changeAccess(context, node, options.signal, (grants) => addGrants(grants, remoteIp, ports), 'access-granted', `${remoteIp} ${ports.join(',')}`);
}

/** `LinuxOsModule.revokeAccess`: removes `remoteIp` on `ports` from the grants and applies the rest. */
export async function revokeAccess(context: ModuleContext, options: AccessOptions): Promise<void> {
  const node = checkNodeSpec(options.node);
  const { remoteIp, ports } = checkAccess(options);
  context.require('firewall', 'revokeAccess');
  await changeAccess(context, node, options.signal, (grants) => removeGrants(grants, remoteIp, ports), 'access-revoked', `${remoteIp} ${ports.join(',')}`);
}

/** Inspects the guest's firewall, then brings it from the grants in force to `change` of them. */
async function changeAccess(
  context: ModuleContext,
  node: NodeSpec,
  signal: AbortSignal | undefined,
  change: (grants: AccessGrant[]) => AccessGrant[],
  step: string,
  detail: string,
): Promise<void> {
  const runner = context.runner(node);
  await context.serialized(node, signal, async () => {
    const run = { signal, timeoutMs: commandTimeout(context) };
    const inspection = parseFirewallInspection((await runner.run(inspectFirewallScript(), run)).stdout);
    const kind = chosenFirewall(inspection, context.options.firewall);
    if (kind === 'none') throw new UnsupportedFunctionalityError('grantAccess and revokeAccess', `node ${node.name}, which has no working nftables, iptables, firewalld or ufw`);
    refuseUnaddressableNft(inspection, kind, 'grantAccess and revokeAccess', `node ${node.name}`);
    const management = [...(context.options.managementAddresses ?? []), ...(inspection.managementAddress ? [inspection.managementAddress] : [])];
    const before = grantsInForce(inspection, kind);
    const after = change(before);
    await runGuestScript(runner, applyFirewallScript({ kind, before, after, management, nft: inspection.nft }), run);
    context.progress(step === 'access-granted' ? 'grantAccess' : 'revokeAccess', node.name).step(step, `${detail} (${kind})`);
  });
}
