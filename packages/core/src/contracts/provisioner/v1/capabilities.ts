/** What a provisioner can do, as data; conformance suites skip by these. */
export interface ProvisionerCapabilitiesV1 {
  /** Nodes can be thin clones of an image (overlay / linked clone). */
  linkedClones: boolean;
  /** Full copies are supported (`diskMode: 'full'`). */
  fullClones: boolean;
  /** Node snapshots are supported. */
  snapshots: boolean;
  /** An image can be captured while the node runs. */
  captureWhileOn: boolean;
  /** `retrieveImage` can copy images from another host. */
  retrieveImage: boolean;
  /** The provisioner can learn a node's address itself (guest tools, DHCP leases). */
  discoversAddress: boolean;
}
