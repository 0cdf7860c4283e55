import type { Customization, NodeSpec, OsModuleCapabilitiesV1, ProgressEvent, ProgressReporter } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import type { LinuxOsModuleOptions } from '../linux-os-module-options.ts';
import type { OperationContext } from '../operations/generalization-operation.ts';
import { RESERVATION_USERS_FILE } from '../users/user-functions.ts';

/**
 * What the per-concept functions behind `LinuxOsModule` share: its options, the runner of a
 * node (with command events forwarded), the per-node lock, progress reporting and the
 * capability checks. The module builds one and hands it to each function.
 */
export interface ModuleContext {
  readonly os: string;
  readonly options: LinuxOsModuleOptions;
  readonly capabilities: OsModuleCapabilitiesV1;
  runner(node: NodeSpec): CommandRunner;
  /** Runs `task` while holding the node's lock, so operations on one node never overlap. */
  serialized<T>(node: NodeSpec, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T>;
  /** A progress reporter emitting on the module's events and, when given, to the operation's `onProgress`. */
  progress(operation: string, node: string, onProgress?: (event: ProgressEvent) => void): ProgressReporter;
  /** Refuses an operation whose capability the module was told its guests lack. */
  require(capability: keyof OsModuleCapabilitiesV1, operation: string): void;
  /** The base class's customization check (its shape), which Linux's own checks extend. */
  checkCustomizationShape(customization: Customization): void;
}

/** The bound of one guest script (option `timeouts.commandMs`, default 120 000). */
export function commandTimeout(context: ModuleContext): number {
  return context.options.timeouts?.commandMs ?? 120_000;
}

/** What the generalization operations get from the module's options. */
export function operationContextOf(options: LinuxOsModuleOptions): OperationContext {
  const context: OperationContext = { keepRootAuthorizedKeys: options.keepRootAuthorizedKeys ?? true, reservationUsersFile: RESERVATION_USERS_FILE };
  if (options.rootPassword) context.rootPassword = options.rootPassword;
  if (options.firewall) context.firewall = options.firewall;
  if (options.managementAddresses) context.managementAddresses = options.managementAddresses;
  return context;
}
