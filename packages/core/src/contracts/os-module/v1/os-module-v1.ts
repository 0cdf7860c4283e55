import type { ProgressEvent, ProvkitEmitter } from '../../../events/index.ts';
import type { Customization } from '../../shared/v1/customization.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import type { AccessOptions, CreateUserOptions, DeleteUserOptions, RandomizedPasswords, SetPasswordOptions } from './access.ts';
import type { CurrentImageInfo } from './current-image.ts';
import type { PreCaptureOptions, PreCaptureResult } from './pre-capture.ts';

/** What an OS module supports, as data. */
export interface OsModuleCapabilitiesV1 {
  /** Firewall control for `grantAccess` / `revokeAccess`. */
  firewall: boolean;
  /** Generalization for capture. */
  generalize: boolean;
  /** Local user management. */
  users: boolean;
}

/** Options of `waitForResponse`, `shutdown` and `reboot`. */
export interface WaitOptions extends NodeOperationOptions {
  timeoutMs?: number | undefined;
}

/** Options of `postLoad`. */
export interface PostLoadOptions extends NodeOperationOptions {
  /** The image just loaded, recorded in `currentimage.txt`. */
  image: string;
  customization?: Customization | undefined;
  /** Receives every progress event of this post-load (the provisioner passes its load's). */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** Options of `writeCurrentImage`. */
export interface WriteCurrentImageOptions extends NodeOperationOptions {
  info: CurrentImageInfo;
}

/**
 * Version 1 of the OS-module contract: drives a guest operating system over SSH.
 * Every method takes one options object naming the node (whose `address` is used).
 */
export interface OsModuleV1 {
  readonly specificationVersion: 'v1';
  /** OS family, e.g. `linux`, `windows`. */
  readonly os: string;
  readonly capabilities: OsModuleCapabilitiesV1;
  readonly events: ProvkitEmitter;

  /** Waits until the guest answers SSH and runs a command (bounded). */
  waitForResponse(options: WaitOptions): Promise<void>;
  /** After load: host keys, hostname, customization, then records post-load in `currentimage.txt`. */
  postLoad(options: PostLoadOptions): Promise<void>;
  /**
   * Checks a customization the way `postLoad` will, without touching any guest: throws
   * `InvalidInputError` naming the field (`customization.users[0].username`) for anything
   * `postLoad` would refuse. Provisioners call it before `load` creates anything, so bad
   * input never costs a disk, a domain and a boot. Optional: {@link BaseOsModule} checks the
   * shape; modules refine it with their own rules.
   */
  checkCustomization?(customization: Customization): void;
  /**
   * The machine at `node`'s address is about to be replaced (a load or reload from an image,
   * which brings fresh SSH host keys): forget its pooled connection and any host key learned
   * on first sight, so the new machine is trusted on first sight again. Provisioners call it
   * in `load` before the node boots. Optional; a module with nothing cached omits it.
   */
  forgetNode?(options: NodeOperationOptions): Promise<void>;
  /** Generalizes the guest for capture and leaves it in `endState` (default off). */
  preCapture(options: PreCaptureOptions): Promise<PreCaptureResult>;
  createUser(options: CreateUserOptions): Promise<void>;
  deleteUser(options: DeleteUserOptions): Promise<void>;
  setPassword(options: SetPasswordOptions): Promise<void>;
  /** Gives every administrator account a new random password and returns them. */
  randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords>;
  /** Opens `ports` to `remoteIp` only. */
  grantAccess(options: AccessOptions): Promise<void>;
  revokeAccess(options: AccessOptions): Promise<void>;
  /** Reads `currentimage.txt`; `undefined` when the guest has none. */
  readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined>;
  writeCurrentImage(options: WriteCurrentImageOptions): Promise<void>;
  /** Shuts the guest down and waits until SSH stops answering (bounded). */
  shutdown(options: WaitOptions): Promise<void>;
  /** Reboots the guest and waits until SSH answers again (bounded). */
  reboot(options: WaitOptions): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
