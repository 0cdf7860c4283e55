import {
  checkIpAddress,
  checkNodeSpec,
  checkObject,
  checkOperationOptions,
  checkOptionalObject,
  checkOptionalTimeoutMs,
  checkStringArray,
  BaseOsModule,
  InvalidInputError,
  KeyedMutex,
  ProgressReporter,
  UnsupportedFunctionalityError,
  type AccessOptions,
  type CreateUserOptions,
  type CurrentImageInfo,
  type Customization,
  type DeleteUserOptions,
  type NodeOperationOptions,
  type NodeSpec,
  type PostLoadOptions,
  type PreCaptureOptions,
  type RandomizedPasswords,
  type SetPasswordOptions,
  type WaitOptions,
  type WriteCurrentImageOptions,
} from '@provkit/core';
import { CommandEventForwarder, type CommandRunner } from '@provkit/runners';
import { readCurrentImage, writeCurrentImage } from './current-image/current-image-file.ts';
import { grantAccess, revokeAccess } from './firewall/access-operations.ts';
import type { LinuxOsModuleOptions } from './linux-os-module-options.ts';
import { operationContextOf, type ModuleContext } from './module/module-context.ts';
import { selectOperations } from './operations/operation-catalog.ts';
import { preCapture, type LinuxPreCaptureResult } from './operations/pre-capture.ts';
import type { PreCaptureFailedError } from './pre-capture-failed-error.ts';
import { checkChpasswdPassword } from './operations/vcl-operations.ts';
import { checkLinuxCustomization, postLoad } from './post-load/post-load.ts';
import { reboot, shutdown, waitForResponse } from './system/power.ts';
import { createUser, deleteUser, randomizeAdminPasswords, setPassword } from './users/user-operations.ts';

export type { LinuxOperationReport, LinuxPreCaptureResult } from './operations/pre-capture.ts';

/**
 * The Linux OS module: drives a guest over a command runner (SSH as root). Generalization is
 * a list of named operations: virt-sysprep's default set (each one that applies to a running
 * guest, under its name; see `VIRT_SYSPREP_NOT_APPLICABLE` for the rest) and VCL's steps;
 * users, passwords (always over chpasswd's standard input), the guest's firewall (nftables,
 * iptables, firewalld or ufw, detected) and VCL's `currentimage.txt`. Every input is validated
 * before the first command; operations on one node are serialized.
 */
export class LinuxOsModule extends BaseOsModule {
  readonly os = 'linux';
  readonly #options: LinuxOsModuleOptions;
  readonly #locks = new KeyedMutex();
  readonly #commands = new CommandEventForwarder(this.events);
  /** What the per-concept functions (users, access, generalization, power, current image) share. */
  readonly #context: ModuleContext;

  /** Validates the options (operation names, root password, management addresses) at once. */
  constructor(options: LinuxOsModuleOptions) {
    checkObject('options', options);
    super({ firewall: true, generalize: true, users: true, ...checkOptionalObject('capabilities', options.capabilities) }, options.events);
    const timeouts = checkOptionalObject<Record<string, unknown>>('timeouts', options.timeouts) ?? {};
    for (const key of ['responseMs', 'shutdownMs', 'rebootMs', 'commandMs']) checkOptionalTimeoutMs(`timeouts.${key}`, timeouts[key], { min: 1 });
    if (typeof options.runnerFor !== 'function') throw new InvalidInputError('runnerFor', 'expected a function giving the runner of a node');
    if (options.rootPassword !== undefined) checkChpasswdPassword('rootPassword', options.rootPassword);
    if (options.operations !== undefined) selectOperations(options.operations, operationContextOf(options));
    for (const [index, address] of (options.managementAddresses ?? []).entries()) checkIpAddress(`managementAddresses[${index}]`, address);
    this.#options = options;
    this.#context = {
      os: this.os,
      options,
      capabilities: this.capabilities,
      runner: (node) => this.#runner(node),
      serialized: (node, signal, task) => this.#locks.run(node.name, task, signal),
      progress: (operation, node, onProgress) => new ProgressReporter(this.events, { operation, node }, onProgress),
      require: (capability, operation) => {
        if (!this.capabilities[capability]) throw new UnsupportedFunctionalityError(operation, `this ${this.os} OS module (${capability} capability off)`);
      },
      checkCustomizationShape: (customization) => super.checkCustomization(customization),
    };
  }

  #runner(node: NodeSpec): CommandRunner {
    const runner = this.#options.runnerFor(node);
    this.#commands.add(runner);
    return runner;
  }

  /**
   * The machine at the node's address is being replaced: drops its pooled connection and,
   * under an accept-new host-key policy, its recorded host key (see core's
   * `sshRunnerFactory`), so a reload at the same address trusts the new keys on first sight.
   */
  async forgetNode(options: NodeOperationOptions): Promise<void> {
    checkInput(options);
    const node = checkNodeSpec(options.node);
    await this.#options.runnerFor.forget?.(node);
  }

  /** Stops forwarding the runners' command events and calls the `onClose` option. */
  override async close(): Promise<void> {
    this.#commands.stop();
    await this.#options.onClose?.();
  }

  /** Waits (bounded, with backoff) until the node runs a command over SSH; refused or dropped connections mean "not yet". */
  async waitForResponse(options: WaitOptions): Promise<void> {
    checkInput(options, { timeout: true });
    return waitForResponse(this.#context, options);
  }

  /**
   * Generalizes the guest: runs the selected operations (the call's, else the module's, else
   * the default set) in catalog order, each reporting what it changed (and, in `report`, what
   * it removed, emptied or changed), then applies the end state (default `off`). With end state
   * `on` the host keys are replaced rather than removed, so new SSH connections keep working;
   * the node's pooled connection (and, under accept-new, its old host key) is then forgotten.
   * The first failure stops the run with a {@link PreCaptureFailedError} naming the operation
   * and the state left; the guest then stays on.
   */
  override async preCapture(options: PreCaptureOptions): Promise<LinuxPreCaptureResult> {
    checkInput(options, { timeout: true });
    // Only an absent list means "the module's selection": null or a string is a caller's mistake.
    if (options.operations !== undefined) checkStringArray('operations', options.operations);
    return preCapture(this.#context, options);
  }

  /**
   * After a load: host keys if missing, hostname, customization users and root keys, the
   * first-boot command, then `vcld_post_load=success (<epoch>)` in `currentimage.txt`.
   * Without `customization.hostname`, a guest whose /etc/hostname is empty (truncated before
   * capture) is named after the node; a node name that is no valid hostname is then refused
   * before any change. Customization users that are system accounts on the guest are refused
   * (`SystemAccountError`) before any change too.
   *
   * Access grants are not re-applied here: a freshly loaded image's grants file, if any, is
   * the capture's, not this reservation's (see {@link LinuxOsModule.grantAccess}).
   */
  async postLoad(options: PostLoadOptions): Promise<void> {
    checkInput(options);
    checkOptionalObject('customization', options.customization);
    return postLoad(this.#context, options);
  }

  /**
   * Refuses, naming the field, any customization {@link postLoad} would refuse (host name,
   * user names and keys, passwords `chpasswd` cannot take, an empty first-boot command, users
   * when the module declares no user management), without touching a guest.
   */
  override checkCustomization(customization: Customization): void {
    checkLinuxCustomization(this.#context, customization);
  }

  /**
   * Creates (or brings to this spec) an account; created accounts are deleted by `reservation-accounts`
   * before capture. An existing system account (uid below the guest's `UID_MIN`, default 1000)
   * is refused with `SystemAccountError` before any change.
   */
  override async createUser(options: CreateUserOptions): Promise<void> {
    checkInput(options);
    return createUser(this.#context, options);
  }

  /**
   * Deletes an account with (by default) its home and mail; absent is fine. Refuses root, and
   * system accounts the image has (uid below `UID_MIN`) with `SystemAccountError`; an
   * account provkit created for a reservation is deleted whatever its uid.
   */
  override async deleteUser(options: DeleteUserOptions): Promise<void> {
    checkInput(options);
    return deleteUser(this.#context, options);
  }

  /** Sets a password through chpasswd's standard input. */
  override async setPassword(options: SetPasswordOptions): Promise<void> {
    checkInput(options);
    return setPassword(this.#context, options);
  }

  /**
   * New random passwords for root and the image's administrators (sudo, wheel and admin
   * members, provkit sudoers drop-ins), not for reservation accounts.
   */
  override async randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords> {
    checkInput(options);
    return randomizeAdminPasswords(this.#context, options);
  }

  /**
   * Opens `ports` to `remoteIp` only (and keeps them open to the management addresses), on the
   * guest's firewall. With nftables the grant also goes into the guest's own filter chains on
   * the input hook (a rule tagged `provkit grant` at the top of each), since an accept in
   * provkit's table alone does not get past a guest chain that drops.
   *
   * What survives a reboot: firewalld and ufw grants are permanent. nftables and iptables
   * grants live in the running kernel only (provkit does not write the guest's
   * /etc/nftables.conf or saved iptables rules), so a reboot, or the guest reloading its own
   * firewall, drops them, and on a port whose only restriction was provkit's, opens it to
   * everyone again. The grants file (`/var/lib/provkit/access-grants`) records the boot they
   * were applied in: grants from an earlier boot count as gone, so the next grant or revoke
   * does not bring back a stale grantee; grant again after a reboot. A reload within one boot
   * is repaired by the next grant or revoke, which rebuilds everything the file lists.
   * Before capture the `access-grants` operation revokes every grant and removes the file.
   */
  override async grantAccess(options: AccessOptions): Promise<void> {
    checkInput(options);
    return grantAccess(this.#context, options);
  }

  /**
   * Withdraws what `grantAccess` opened for `remoteIp` on `ports`; revoking nothing succeeds.
   * With nftables the tagged rules are deleted from the guest's chains by handle, so revoking
   * the last grant leaves the guest's own ruleset exactly as it was.
   */
  override async revokeAccess(options: AccessOptions): Promise<void> {
    checkInput(options);
    return revokeAccess(this.#context, options);
  }

  /** Reads `/root/currentimage.txt`; `undefined` when the guest has none. */
  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    checkInput(options);
    return readCurrentImage(this.#context, options);
  }

  /** Replaces `/root/currentimage.txt` atomically after validating the image name and properties. */
  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    checkInput(options);
    return writeCurrentImage(this.#context, options);
  }

  /** Powers the guest off and waits until its SSH stops answering. */
  async shutdown(options: WaitOptions): Promise<void> {
    checkInput(options, { timeout: true });
    return shutdown(this.#context, options);
  }

  /** Reboots the guest and waits until SSH answers from a new boot (the kernel's boot id changed). */
  async reboot(options: WaitOptions): Promise<void> {
    checkInput(options, { timeout: true });
    return reboot(this.#context, options);
  }
}

/**
 * The checks every operation makes first: an options object, a valid node, a valid signal
 * and, for operations that wait, a positive integer `timeoutMs` (a negative or NaN one would
 * otherwise send the power-off first and fail after).
 */
function checkInput(options: { node: NodeSpec; timeoutMs?: unknown }, what: { timeout?: boolean } = {}): void {
  checkOperationOptions(options);
  checkNodeSpec(options.node);
  if (what.timeout) checkOptionalTimeoutMs('timeoutMs', options.timeoutMs, { min: 1 });
}
