import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import type { OsModuleV1 } from '../../os-module/v1/os-module-v1.ts';

/** Power state of a node. */
export type PowerState = 'on' | 'off' | 'suspended' | 'unknown';

/** Options of `nodeStatus`. */
export interface NodeStatusOptions extends NodeOperationOptions {
  /** The image the node should run; `ready` requires the node to run exactly this one. */
  image?: string | undefined;
  /** Bound on the SSH probe (default 10 s). */
  sshTimeoutMs?: number;
  /**
   * The OS module that reads the guest's `currentimage.txt`, as `load` and `capture` take it;
   * default: the provisioner's own. Without any OS module the guest cannot be checked and the
   * status is `reload` (see {@link decideNodeStatus}).
   */
  osModule?: OsModuleV1 | undefined;
}

/**
 * VCL's node_status:
 * - `ready`: powered on, SSH answers, the current image is the wanted one, and post-load ran;
 * - `post-load`: the right image is loaded but post-load did not finish;
 * - `reload`: anything else; the node must be (re)loaded.
 */
export type NodeStatusValue = 'ready' | 'post-load' | 'reload';

/** Result of `nodeStatus`. */
export interface NodeStatusResult {
  status: NodeStatusValue;
  power: PowerState;
  /** True when an SSH banner and a command answered. */
  ssh: boolean;
  /** The image named in the guest's `currentimage.txt`, when read. */
  currentImage?: string;
  /** Why this status, in words. */
  detail: string;
}
