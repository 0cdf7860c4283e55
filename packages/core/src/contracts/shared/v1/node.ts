/** How to reach a node's SSH server. */
export interface NodeAddress {
  /** IP address or DNS name. */
  host: string;
  /** SSH port (default 22). */
  port?: number;
}

/**
 * A node: the machine a user gets. Its `name` is the domain / VM name on the host; its
 * `address` is where its SSH answers once it has booted (unknown before the first load on
 * some platforms, which then report it from guest tools).
 */
export interface NodeSpec {
  name: string;
  address?: NodeAddress;
  /** MAC address of the first NIC (`52:54:00:..`); generated from the name when absent. */
  mac?: string;
}

/** Options every operation accepts. */
export interface OperationOptions {
  /** Cancels the operation; long operations clean up what they created. */
  signal?: AbortSignal | undefined;
}

/** Options of operations on one node. */
export interface NodeOperationOptions extends OperationOptions {
  node: NodeSpec;
}
