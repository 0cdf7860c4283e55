import { InvalidInputError, UnsupportedFunctionalityError } from '../../../errors/index.ts';
import { checkAccess, checkPositiveInteger } from '../../../validate/index.ts';
import { throwIfAborted } from '../../../wait/index.ts';
import type { Customization } from '../../shared/v1/customization.ts';
import { checkCustomizationShape } from '../../shared/v1/customization-shape.ts';
import { createEmitter, ProgressReporter, type ProgressEvent, type ProvkitEmitter } from '../../../events/index.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import { checkNodeSpec, checkUser } from '../../shared/v1/operation-input.ts';
import type { AccessOptions, CreateUserOptions, DeleteUserOptions, RandomizedPasswords, SetPasswordOptions } from './access.ts';
import type { CurrentImageInfo } from './current-image.ts';
import type { OsModuleCapabilitiesV1, OsModuleV1, PostLoadOptions, WaitOptions, WriteCurrentImageOptions } from './os-module-v1.ts';
import type { PreCaptureOptions, PreCaptureResult } from './pre-capture.ts';

/**
 * Base class for OS modules: events, progress, and "unsupported" defaults for the optional
 * members, so a minimal module implements only waiting, post-load and `currentimage.txt`.
 */
export abstract class BaseOsModule implements OsModuleV1 {
  readonly specificationVersion = 'v1' as const;
  abstract readonly os: string;
  readonly capabilities: OsModuleCapabilitiesV1;
  readonly events: ProvkitEmitter;

  constructor(capabilities: Partial<OsModuleCapabilitiesV1> = {}, events: ProvkitEmitter = createEmitter()) {
    this.capabilities = { firewall: false, generalize: false, users: false, ...capabilities };
    this.events = events;
  }

  abstract waitForResponse(options: WaitOptions): Promise<void>;
  abstract postLoad(options: PostLoadOptions): Promise<void>;
  abstract readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined>;
  abstract writeCurrentImage(options: WriteCurrentImageOptions): Promise<void>;
  abstract shutdown(options: WaitOptions): Promise<void>;
  abstract reboot(options: WaitOptions): Promise<void>;

  /**
   * Default: checks the customization's shape (types, non-empty names, `Secret` passwords),
   * then refuses users with `UnsupportedFunctionalityError` when the module declares no user
   * management (the capability `users`): a load never succeeds without the accounts asked for.
   */
  checkCustomization(customization: Customization): void {
    checkCustomizationShape(customization);
    if (!this.capabilities.users && (customization.users?.length ?? 0) > 0) throw new UnsupportedFunctionalityError('customization.users', `the ${this.os} OS module (capability users absent)`);
  }

  /** Default: unsupported, after checking the input and the signal like a real implementation. */
  async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    checkNodeSpec(options.node);
    if (options.endState !== undefined && !['on', 'off', 'reboot'].includes(options.endState)) throw new InvalidInputError('endState', `${JSON.stringify(options.endState)} is not one of on, off, reboot`);
    if (options.timeoutMs !== undefined) checkPositiveInteger('timeoutMs', options.timeoutMs);
    return this.#unsupported(options, 'preCapture');
  }
  /** Default: unsupported, after checking the input and the signal. */
  async createUser(options: CreateUserOptions): Promise<void> {
    checkNodeSpec(options.node);
    checkUser(options);
    return this.#unsupported(options, 'createUser');
  }
  /** Default: unsupported, after checking the input and the signal. */
  async deleteUser(options: DeleteUserOptions): Promise<void> {
    checkNodeSpec(options.node);
    checkUser({ username: options.username });
    return this.#unsupported(options, 'deleteUser');
  }
  /** Default: unsupported, after checking the input and the signal. */
  async setPassword(options: SetPasswordOptions): Promise<void> {
    checkNodeSpec(options.node);
    checkUser({ username: options.username, password: options.password });
    if (options.password === undefined) throw new InvalidInputError('password', 'expected a Secret');
    return this.#unsupported(options, 'setPassword');
  }
  /** Default: unsupported, after checking the input and the signal. */
  async randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords> {
    checkNodeSpec(options.node);
    return this.#unsupported(options, 'randomizeAdminPasswords');
  }
  /** Default: unsupported, after checking the input and the signal. */
  async grantAccess(options: AccessOptions): Promise<void> {
    checkNodeSpec(options.node);
    checkAccess(options);
    return this.#unsupported(options, 'grantAccess');
  }
  /** Default: unsupported, after checking the input and the signal. */
  async revokeAccess(options: AccessOptions): Promise<void> {
    checkNodeSpec(options.node);
    checkAccess(options);
    return this.#unsupported(options, 'revokeAccess');
  }
  /** Default: nothing to release. */
  async close(): Promise<void> {}

  #unsupported(options: NodeOperationOptions, functionality: string): never {
    throwIfAborted(options.signal, `${functionality} on ${options.node.name}`);
    throw new UnsupportedFunctionalityError(functionality, `the ${this.os} OS module`);
  }

  /**
   * A progress reporter for one operation on a node, emitting on {@link events} and on the
   * operation's `onProgress` (so `postLoad` / `preCapture` sub-steps reach the provisioner's).
   */
  protected progress(operation: string, node: string, onProgress?: (event: ProgressEvent) => void): ProgressReporter {
    return new ProgressReporter(this.events, { operation, node }, onProgress);
  }
}
