import type { OsModuleCapabilitiesV1, ProvkitEmitter, Secret } from '@provkit/core';
import type { RunnerFactory } from '@provkit/runners';
import type { FirewallKind } from './firewall/firewall-script.ts';

/** Bounds of the module's waits, in milliseconds. */
export interface LinuxOsModuleTimeouts {
  /** `waitForResponse` when the call gives none (default 120 000). */
  responseMs?: number | undefined;
  /** `shutdown` and `preCapture` with end state `off` (default 180 000). */
  shutdownMs?: number | undefined;
  /** `reboot` and `preCapture` with end state `reboot` (default 300 000). */
  rebootMs?: number | undefined;
  /** One guest script (default 120 000). */
  commandMs?: number | undefined;
}

/** Options of {@link LinuxOsModule}. */
export interface LinuxOsModuleOptions {
  /** Gives the runner reaching a node's guest (e.g. `sshRunnerFactory` of `@provkit/runners` as root). */
  runnerFor: RunnerFactory;
  /** The password the `root-password` operation sets before capture; without it that step is off. */
  rootPassword?: Secret;
  /** The generalization operations `preCapture` runs when the call names none (default: every default-enabled one). */
  operations?: readonly string[];
  /**
   * Keep `/root/.ssh/authorized_keys` when `ssh-userdir` runs (default true): it is how the
   * provisioner reaches the next machine loaded from the image.
   */
  keepRootAuthorizedKeys?: boolean;
  /** Which firewall to drive (default `auto`: detected on the guest). */
  firewall?: 'auto' | FirewallKind;
  /**
   * Addresses that keep reaching every port `grantAccess` restricts, besides the address the
   * module's own SSH connection comes from (always kept).
   */
  managementAddresses?: readonly string[];
  /**
   * What the guests this module drives lack, declared rather than discovered (default: all
   * on). A fleet of minimal guests without `useradd`/`chpasswd` says `{ users: false }`;
   * user operations and customization users are then refused before any command, and the
   * conformance kit skips what needs them.
   */
  capabilities?: Partial<OsModuleCapabilitiesV1>;
  /** Where the module's progress, command and warning events go (default: a new emitter). */
  events?: ProvkitEmitter | undefined;
  timeouts?: LinuxOsModuleTimeouts;
  /** Called by `close()`, e.g. to close an `SshPool` made for this module alone. */
  onClose?: () => Promise<void> | void;
}
