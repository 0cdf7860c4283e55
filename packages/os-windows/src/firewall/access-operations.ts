import type { NodeSpec } from '@provkit/core';
import type { ModuleContext } from '../module/module-context.ts';
import { grantAccessScript, revokeAccessScript } from '../scripts/firewall-scripts.ts';

/** What one grant or revoke concerns (checked by the module). */
export interface AccessChange {
  remoteIp: string;
  ports: readonly number[];
  signal: AbortSignal | undefined;
}

/** Opens `ports` to `remoteIp` with provkit-named Windows Firewall rules. */
export async function grantAccess(context: ModuleContext, node: NodeSpec, change: AccessChange): Promise<void> {
  await context.serialized(node, change.signal, () => context.run(node, grantAccessScript(change.remoteIp, change.ports), { signal: change.signal }));
  context.progress('grantAccess', node.name).step('access-granted', `TCP ${change.ports.join(', ')} from ${change.remoteIp}`);
}

/** Removes what {@link grantAccess} opened for `remoteIp` on `ports`. */
export async function revokeAccess(context: ModuleContext, node: NodeSpec, change: AccessChange): Promise<void> {
  await context.serialized(node, change.signal, () => context.run(node, revokeAccessScript(change.remoteIp, change.ports), { signal: change.signal }));
  context.progress('revokeAccess', node.name).step('access-revoked', `TCP ${change.ports.join(', ')} from ${change.remoteIp}`);
}
