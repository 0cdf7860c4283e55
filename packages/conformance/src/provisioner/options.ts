import type { NodeSpec, OsModuleV1, ProvisionerV1 } from '@provkit/core';
import type { TestApi } from '../kit/test-api.ts';

/**
 * What the provisioner checks need from the module under test. Like keyv's test suite, the
 * kit takes a factory that makes a fresh provisioner per test, and options switch groups
 * off; capabilities the module declares absent skip their checks by name.
 */
export interface ProvisionerKitOptions {
  /** Makes a fresh provisioner for one test; it is closed after the test. */
  createProvisioner: () => Promise<ProvisionerV1> | ProvisionerV1;
  /** A library image that exists for the whole run and boots a node the OS module can reach. */
  image: string;
  /** A fresh node, unique per call, that does not exist on the host yet (with its address, unless the provisioner discovers addresses). */
  newNode: () => NodeSpec | Promise<NodeSpec>;
  /** A fresh image name, unique per call, that is not in the library yet. */
  newImageName: () => string;
  /**
   * The OS module the kit passes per call to `load`, `capture` and `nodeStatus`, and whose
   * events it watches (postLoad / preCapture sub-steps must reach the operation's own
   * `onProgress`). Required by the groups that load nodes.
   */
  osModule?: OsModuleV1;
  /**
   * Makes a node of a fresh name that exists on the host but that provkit did not create
   * (no provkit marker); `load`, `unload` and power must refuse it with `NODE_NOT_MANAGED`.
   * Without it the check is not registered.
   */
  unmanagedNode?: () => Promise<NodeSpec>;
  /**
   * For a provisioner declaring `retrieveImage`: a fresh provisioner of the same kind on
   * another library that lacks `image`, to retrieve it into. Required when the capability is
   * declared; the kit deletes what it retrieved.
   */
  retrieveTarget?: () => Promise<ProvisionerV1>;
  /** Leave out every group that loads a node (slow); default false. */
  skipLoads?: boolean;
  /** Leave out the abort-at-every-load-step group (one load per step); default false. */
  skipAbortAtEachStep?: boolean;
  /** Leave out the capture end states `on` and `reboot` (a capture each); default false. */
  skipCaptureEndStates?: boolean;
  /** Per-test timeout for tests that load a node (default 10 min). */
  loadTimeoutMs?: number;
  /** Per-test timeout for tests that do not (default 60 s). */
  quickTimeoutMs?: number;
}

/** Options of the provisioner suites: the kit's options and the test functions to register with. */
export interface ProvisionerSuiteOptions extends ProvisionerKitOptions, TestApi {}
