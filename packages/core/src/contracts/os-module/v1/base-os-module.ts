import { UnsupportedFunctionalityError } from '../../../errors/index.ts';
import type { Customization } from '../../shared/customization.ts';
import { assertCustomizationShape } from '../../shared/customization-shape.ts';
import { createEmitter, ProgressReporter, type ProgressEvent, type ProvkitEmitter } from '../../../events/index.ts';
import type { NodeOperationOptions } from '../../shared/node.ts';
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

  /** Default: checks the customization's shape (types, non-empty names, `Secret` passwords). */
  checkCustomization(customization: Customization): void {
    assertCustomizationShape(customization);
  }

  async preCapture(_options: PreCaptureOptions): Promise<PreCaptureResult> {
    throw new UnsupportedFunctionalityError('preCapture', `the ${this.os} OS module`);
  }
  async createUser(_options: CreateUserOptions): Promise<void> {
    throw new UnsupportedFunctionalityError('createUser', `the ${this.os} OS module`);
  }
  async deleteUser(_options: DeleteUserOptions): Promise<void> {
    throw new UnsupportedFunctionalityError('deleteUser', `the ${this.os} OS module`);
  }
  async setPassword(_options: SetPasswordOptions): Promise<void> {
    throw new UnsupportedFunctionalityError('setPassword', `the ${this.os} OS module`);
  }
  async randomizeAdminPasswords(_options: NodeOperationOptions): Promise<RandomizedPasswords> {
    throw new UnsupportedFunctionalityError('randomizeAdminPasswords', `the ${this.os} OS module`);
  }
  async grantAccess(_options: AccessOptions): Promise<void> {
    throw new UnsupportedFunctionalityError('grantAccess', `the ${this.os} OS module`);
  }
  async revokeAccess(_options: AccessOptions): Promise<void> {
    throw new UnsupportedFunctionalityError('revokeAccess', `the ${this.os} OS module`);
  }
  async close(): Promise<void> {}

  /**
   * A progress reporter for one operation on a node, emitting on {@link events} and on the
   * operation's `onProgress` (so `postLoad` / `preCapture` sub-steps reach the provisioner's).
   */
  protected progress(operation: string, node: string, onProgress?: (event: ProgressEvent) => void): ProgressReporter {
    return new ProgressReporter(this.events, { operation, node }, onProgress);
  }
}
