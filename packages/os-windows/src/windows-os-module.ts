import {
  checkAccess,
  checkImageName,
  checkNode,
  checkObject,
  checkOperationOptions,
  checkOptionalTimeoutMs,
  BaseOsModule,
  createEmitter,
  InvalidInputError,
  KeyedMutex,
  Secret,
  type AccessOptions,
  type CreateUserOptions,
  type CurrentImageInfo,
  type Customization,
  type DeleteUserOptions,
  type NodeOperationOptions,
  type NodeSpec,
  type PostLoadOptions,
  type PreCaptureOptions,
  type PreCaptureResult,
  type RandomizedPasswords,
  type SetPasswordOptions,
  type WaitOptions,
  type WriteCurrentImageOptions,
} from '@provkit/core';
import { CommandEventForwarder, type CommandRunner, type RunnerFactory } from '@provkit/runners';
import { readCurrentImage, writeCurrentImage } from './current-image/current-image-file.ts';
import { grantAccess, revokeAccess } from './firewall/access-operations.ts';
import type { ModuleContext } from './module/module-context.ts';
import { windowsSettings } from './module/module-settings.ts';
import { GENERALIZED_IMAGE_STATE } from './system/node-waits.ts';
import { postLoad } from './post-load/post-load.ts';
import { runScript } from './powershell/script-transport.ts';
import { preCapture } from './pre-capture/pre-capture.ts';
import { reboot, shutdown, waitForResponse } from './system/power.ts';
import { createUser, deleteUser, randomizeAdminPasswords, setPassword } from './users/user-operations.ts';
import type { WindowsOsModuleOptions } from './windows-os-module-options.ts';
import { checkWindowsCustomization, checkWindowsUser, WINDOWS_PRE_CAPTURE_OPERATIONS, type WindowsPreCaptureOperation } from './windows-inputs.ts';
import { checkWindowsPassword, checkWindowsUsername } from './windows-validators.ts';

export { GENERALIZED_IMAGE_STATE };

export { WINDOWS_PRE_CAPTURE_OPERATIONS, type WindowsPreCaptureOperation };
export type { WindowsOsModuleOptions };

/**
 * The Windows OS module: drives Windows Server 2019+ / Windows 10 1809+ guests through their
 * OpenSSH server, running every script as `powershell -EncodedCommand` (so no quoting reaches
 * cmd.exe) and passing secrets on stdin. `preCapture` runs VCL's cleanup, then Sysprep with an
 * answer file this module generates.
 */
export class WindowsOsModule extends BaseOsModule {
  readonly os = 'windows';
  readonly #runnerFor: RunnerFactory;
  readonly #onClose: (() => Promise<void> | void) | undefined;
  readonly #nodes = new KeyedMutex();
  readonly #commands = new CommandEventForwarder(this.events);
  /** What the per-concept functions (users, access, post-load, pre-capture, power, current image) share. */
  readonly #context: ModuleContext;

  /** Validates the options (password, paths, bounds, answer-file settings) at once. */
  constructor(options: WindowsOsModuleOptions) {
    checkObject('options', options);
    super({ firewall: true, generalize: true, users: true }, options.events ?? createEmitter());
    if (typeof options.runnerFor !== 'function') throw new InvalidInputError('runnerFor', 'must be a function returning a command runner');
    this.#runnerFor = options.runnerFor;
    this.#onClose = options.onClose;
    const settings = windowsSettings(options);
    this.#context = {
      settings,
      events: this.events,
      run: (node, script, spec) => runScript({ runner: this.#runner(node), commandTimeoutMs: settings.commandTimeoutMs }, script, spec),
      serialized: (node, signal, task) => this.#nodes.run(node.name, task, signal),
      progress: (operation, node, onProgress) => this.progress(operation, node, onProgress),
    };
  }

  #runner(node: NodeSpec): CommandRunner {
    const runner = this.#runnerFor(node);
    this.#commands.add(runner);
    return runner;
  }

  /** Waits (bounded, with backoff) until PowerShell answers over SSH on the node. */
  async waitForResponse(options: WaitOptions): Promise<void> {
    const node = this.#input(options, { timeout: true });
    await waitForResponse(this.#context, node, options);
  }

  /** Refuses, naming the field, what `postLoad` would refuse (computer name, users, keys, argv), without a guest. */
  override checkCustomization(customization: Customization): void {
    super.checkCustomization(customization);
    checkWindowsCustomization(customization);
  }

  /**
   * After a load: computer name (restarting when it changed), customization users and keys,
   * the first-boot command, then post-load done in `currentimage.txt`.
   */
  async postLoad(options: PostLoadOptions): Promise<void> {
    const node = this.#input(options);
    const image = checkImageName('image', options.image);
    const customization = checkWindowsCustomization(options.customization);
    await postLoad(this.#context, node, { image, customization, signal: options.signal, onProgress: options.onProgress });
  }

  /** VCL's cleanup, the generated answer file and Sysprep, then the end state (default `off`). */
  override async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    const node = this.#input(options, { timeout: true });
    return preCapture(this.#context, node, options);
  }

  /** Creates (or brings to this spec) a local account; keys only for administrators. */
  override async createUser(options: CreateUserOptions): Promise<void> {
    const node = this.#input(options);
    const user = checkWindowsUser('', options);
    await createUser(this.#context, node, user, options.signal);
  }

  /** Deletes a local account and (by default) its profile. */
  override async deleteUser(options: DeleteUserOptions): Promise<void> {
    const node = this.#input(options);
    const username = checkWindowsUsername('username', options.username);
    await deleteUser(this.#context, node, { username, removeHome: options.removeHome ?? true, signal: options.signal });
  }

  /** Sets a password; it travels on stdin, never on the command line. */
  override async setPassword(options: SetPasswordOptions): Promise<void> {
    const node = this.#input(options);
    const username = checkWindowsUsername('username', options.username);
    if (!Secret.isSecret(options.password)) throw new InvalidInputError('password', 'must be a Secret');
    checkWindowsPassword('password', options.password.reveal());
    await setPassword(this.#context, node, { username, password: options.password, signal: options.signal });
  }

  /** New random passwords for every member of the Administrators group. */
  override async randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords> {
    const node = this.#input(options);
    return randomizeAdminPasswords(this.#context, node, options.signal);
  }

  /** Opens `ports` to `remoteIp` with provkit-named Windows Firewall rules. */
  override async grantAccess(options: AccessOptions): Promise<void> {
    const node = this.#input(options);
    const { remoteIp, ports } = checkAccess(options);
    await grantAccess(this.#context, node, { remoteIp, ports, signal: options.signal });
  }

  /** Removes what `grantAccess` opened for `remoteIp` on `ports`. */
  override async revokeAccess(options: AccessOptions): Promise<void> {
    const node = this.#input(options);
    const { remoteIp, ports } = checkAccess(options);
    await revokeAccess(this.#context, node, { remoteIp, ports, signal: options.signal });
  }

  /** Reads VCL's `currentimage.txt`; `undefined` when the guest has none. */
  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    return readCurrentImage(this.#context, this.#input(options), options.signal);
  }

  /** Replaces VCL's `currentimage.txt`. */
  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    const node = this.#input(options);
    await writeCurrentImage(this.#context, node, options.info, options.signal);
  }

  /** Shuts the guest down and waits until SSH stops answering. */
  async shutdown(options: WaitOptions): Promise<void> {
    const node = this.#input(options, { timeout: true });
    await shutdown(this.#context, node, options);
  }

  /** Restarts the guest and waits until it answers from a new boot. */
  async reboot(options: WaitOptions): Promise<void> {
    const node = this.#input(options, { timeout: true });
    await reboot(this.#context, node, options);
  }

  /**
   * The machine at the node's address is being replaced (a Sysprepped image makes new host
   * keys): drops its pooled connection and, under accept-new, its recorded host key.
   */
  async forgetNode(options: NodeOperationOptions): Promise<void> {
    await this.#runnerFor.forget?.(this.#input(options));
  }

  /** Stops forwarding the runners' command events and calls the `onClose` option. */
  override async close(): Promise<void> {
    this.#commands.stop();
    await this.#onClose?.();
  }

  /**
   * The checks every operation makes first: the options object, the node (name and address),
   * the signal and, for operations that wait, a positive integer `timeoutMs` (a negative or
   * NaN one would otherwise send the shutdown first and fail after).
   */
  #input(options: { node: NodeSpec; timeoutMs?: unknown }, what: { timeout?: boolean } = {}): NodeSpec {
    checkOperationOptions(options);
    const node = checkNode('node', options.node);
    if (what.timeout) checkOptionalTimeoutMs('timeoutMs', options.timeoutMs, { min: 1 });
    return node;
  }
}
