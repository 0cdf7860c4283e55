import type { NodeSpec, ProgressEvent, ProgressReporter, ProvkitEmitter } from '@provkit/core';
import type { CommandResult } from '@provkit/runners';
import type { RunSpec } from '../powershell/script-transport.ts';
import type { PsFragment } from '../powershell/quote.ts';
import type { WaitContext } from '../system/node-waits.ts';
import type { WindowsSettings } from './module-settings.ts';

/**
 * What the per-concept functions behind `WindowsOsModule` share: its settings, running a
 * script on a node (command events forwarded), the per-node lock and progress reporting.
 * The module builds one and hands it to each function.
 */
export interface ModuleContext {
  readonly settings: WindowsSettings;
  /** The module's emitter (warnings). */
  readonly events: ProvkitEmitter;
  /** Runs one script on the node through the script transport. */
  run(node: NodeSpec, script: PsFragment, spec?: RunSpec): Promise<CommandResult>;
  /** Runs `task` while holding the node's lock, so operations on one node never overlap. */
  serialized<T>(node: NodeSpec, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T>;
  /** A progress reporter emitting on the module's events and, when given, to the operation's `onProgress`. */
  progress(operation: string, node: string, onProgress?: (event: ProgressEvent) => void): ProgressReporter;
}

/** What the bounded waits on `node` need: its script runner, the command bound and the poll backoff. */
export function waitContextOf(context: ModuleContext, node: NodeSpec): WaitContext {
  return { node, run: (script, spec) => context.run(node, script, spec), commandTimeoutMs: context.settings.commandTimeoutMs, pollDelay: context.settings.pollDelay };
}
