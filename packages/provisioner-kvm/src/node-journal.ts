import { InvalidStateError, ProvkitError } from '@provkit/core';
import { nodeStatePaths, parseIntentRecord, serializeIntentRecord, type IntentRecord } from './intent-record.ts';
import type { HostCallOptions, KvmHost } from './kvm-host.ts';
import { LeftBehindError } from './left-behind-error.ts';
import type { NodeControl } from './node-control.ts';
import { retryThroughFaults } from './transient-fault.ts';

/** What {@link NodeJournal} works with. */
export interface NodeJournalContext {
  host: KvmHost;
  control: NodeControl;
  nodeDiskDir: string;
  libraryDir: string;
  /** Says what was set aside or undone (the provisioner's `warning` event). */
  warn: (message: string, about: { node?: string; operation?: string }) => void;
}

/**
 * The intent records that make an operation undoable by whoever comes next: written before
 * anything is made, removed when the operation ends, read and acted on by the next call on the
 * node (in any process) to undo what an interrupted operation left. Callers hold the node's
 * host lock; clean-ups retry through transient faults within their bound.
 */
export class NodeJournal {
  readonly #context: NodeJournalContext;

  constructor(context: NodeJournalContext) {
    this.#context = context;
  }

  /** Writes the record of an operation about to make things. */
  async write(record: IntentRecord, call: HostCallOptions): Promise<void> {
    const { host, nodeDiskDir } = this.#context;
    await host.writeText(nodeStatePaths(nodeDiskDir, record.node).intent, serializeIntentRecord(record), call);
  }

  /** The node's intent record, if any; a damaged one is reported and set aside as `undefined`. */
  async read(node: string, signal: AbortSignal | undefined): Promise<IntentRecord | undefined> {
    const { host, nodeDiskDir } = this.#context;
    const path = nodeStatePaths(nodeDiskDir, node).intent;
    const text = await host.readText(path, { signal });
    if (text === undefined || text.trim() === '') return undefined;
    try {
      return parseIntentRecord(text, nodeDiskDir);
    } catch (error) {
      this.#context.warn(`ignoring the unreadable intent record ${path}: ${error instanceof Error ? error.message : String(error)}`, { node });
      return undefined;
    }
  }

  /** Removes a finished load's record (retried through transient faults; a warning if it stays). */
  async clear(record: IntentRecord): Promise<void> {
    const path = nodeStatePaths(this.#context.nodeDiskDir, record.node).intent;
    await retryThroughFaults(`removing the intent record of node ${record.node}`, (signal) => this.#context.host.remove([path], { signal })).catch((error: unknown) => {
      this.#context.warn(`load of ${record.node} succeeded but its intent record ${path} stays: ${error instanceof Error ? error.message : String(error)}`, { operation: 'load', node: record.node });
    });
  }

  /**
   * Undoes a load that failed: removes the domain (only provkit's) and the files its record
   * names, then the record — only while the record on the host is still this load's. Retried
   * with new connections through transient faults within the clean-up bound; past it the error
   * names everything that may remain.
   */
  async undoLoad(record: IntentRecord, created: boolean): Promise<void> {
    const paths = nodeStatePaths(this.#context.nodeDiskDir, record.node);
    try {
      await retryThroughFaults(`clean-up of node ${record.node}`, async (signal) => {
        const onHost = await this.read(record.node, signal);
        if (onHost !== undefined && onHost.id !== record.id) throw new InvalidStateError(`node ${record.node} carries another operation's record (${onHost.id}); its disk and domain are left alone`);
        if (created) await this.#removeRecorded(record, signal);
        await this.#context.host.remove([paths.intent], { signal });
      });
    } catch (error) {
      if (ProvkitError.hasCode(error, 'INVALID_STATE')) throw error;
      throw new LeftBehindError(record.node, { domain: record.domain, files: created ? [...record.paths, paths.intent] : [paths.intent] }, { cause: error });
    }
  }

  /** The domain a record names (only if provkit marked it) and its files; the record itself stays. */
  async #removeRecorded(record: IntentRecord, signal: AbortSignal): Promise<void> {
    const { host, control } = this.#context;
    const state = await host.domainState(record.domain, { signal });
    if (state !== undefined && (await host.provkitRecord(record.domain, { signal })).managed) await control.remove(record.domain, signal);
    await host.remove(record.paths, { signal });
  }

  /**
   * Called with the node's host lock held: a record found now belongs to an operation that died
   * (its lock went with its process), so what it made is undone before this operation starts.
   */
  async recover(node: string, signal: AbortSignal | undefined): Promise<void> {
    const record = await this.read(node, signal);
    if (record === undefined) return;
    this.#context.warn(`undoing an interrupted ${record.operation} of node ${node} (pid ${record.pid} on ${record.host}, started ${record.startedAt}): ${[record.domain, ...record.paths].join(', ')}`, { node });
    await this.undoLoad(record, true);
  }

  /**
   * Deletes hidden partial copies of `image` left in the library by captures or retrievals that
   * died. Called with the image's exclusive host lock held, so none of them is being written.
   */
  async collectPartials(image: string, signal: AbortSignal | undefined): Promise<void> {
    const removed = await this.#context.host.removeMatching(this.#context.libraryDir, `.${image}.qcow2.part-*`, { signal });
    if (removed.length > 0) this.#context.warn(`removed partial copies of image ${image} left by interrupted operations: ${removed.join(', ')}`, {});
  }
}
