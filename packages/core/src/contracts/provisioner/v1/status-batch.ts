import type { NodeSpec, OperationOptions } from '../../shared/v1/node.ts';
import type { OsModuleV1 } from '../../os-module/v1/os-module-v1.ts';
import type { NodeStatusResult } from './status.ts';

/** Options of `nodeStatuses`: the status of many nodes of one host at once. */
export interface NodeStatusesOptions extends OperationOptions {
  nodes: readonly NodeSpec[];
  /** The image every node should run (as `nodeStatus`'s `image`). */
  image?: string;
  /** The OS module that checks the guests (default: the provisioner's own). */
  osModule?: OsModuleV1;
  /** Bound on each guest's SSH probe (default 10 s). */
  sshTimeoutMs?: number;
  /** Guests probed over SSH at once (default 8). */
  concurrency?: number;
}

/** One node's status in a `nodeStatuses` answer. */
export interface NodeStatusEntry {
  /** The node's name. */
  node: string;
  status: NodeStatusResult;
}
