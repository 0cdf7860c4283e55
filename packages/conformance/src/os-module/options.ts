import type { NodeSpec, OsModuleV1, PowerState } from '@provkit/core';
import type { TestApi } from '../kit/test-api.ts';

/** What the node looks like from the host's side, for checks that cannot see it through the OS module. */
export interface ObservedNode {
  power: PowerState;
  /** How many times the machine has booted; a reboot adds one. */
  boots: number;
  /** Local users on the guest, when the host can see them. */
  users?: Record<string, { admin: boolean; hasPassword?: boolean }>;
  /** Firewall grants as `<ip>:<port>`, when the host can see them. */
  grants?: readonly string[];
}

/** What the OS-module checks need. */
export interface OsModuleKitOptions {
  /** Makes a fresh OS module for one test; it is closed after the test. */
  createOsModule: () => Promise<OsModuleV1> | OsModuleV1;
  /** A node running this OS, reachable over SSH, that tests may change (users, `currentimage.txt`). */
  node: () => NodeSpec;
  /** A node whose address answers nothing (for bounded waits). */
  unreachableNode: () => NodeSpec;
  /**
   * A fresh running node, unique per call, that the kit may run `postLoad` on, generalize and
   * power off, with `observeNode` to see its power and boots from the host. Without both the
   * generalization group is not registered.
   */
  disposableNode?: () => Promise<NodeSpec>;
  /** The disposable node's power state and boot count, as its host sees them. */
  observeNode?: (node: NodeSpec) => Promise<ObservedNode>;
  /** The bound the kit gives `waitForResponse` on the unreachable node (default 1500 ms). */
  unreachableTimeoutMs?: number;
  /** Per-test timeout (default 60 s; the generalization group gets 10 min). */
  quickTimeoutMs?: number;
}

/** Options of the OS-module suites: the kit's options and the test functions to register with. */
export interface OsModuleSuiteOptions extends OsModuleKitOptions, TestApi {}
