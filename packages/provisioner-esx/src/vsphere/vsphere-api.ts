import { AbortedError, OperationFailedError, ProvkitError, TimeoutError, type CommandEvent, type ProvkitEmitter } from '@provkit/core';
import type { VimRequest, XmlNode, XmlValue } from '../translation/envelope.ts';
import type { FaultContext } from '../translation/faults.ts';
import { propertiesOf, viewContents, type PropertyFilterSpec } from '../translation/property-spec.ts';
import * as requests from '../translation/vim-requests.ts';
import {
  decodeBoolean,
  decodeExtraConfig,
  decodeLayoutFiles,
  decodeString,
  decodeTaskOutcome,
  parseCurrentTime,
  parseRetrieveResult,
  parseReturnedMoRef,
  parseUpdateSet,
  type ObjectContent,
  type ServiceContent,
  type TaskOutcome,
  type VmFile,
} from '../translation/vim-responses.ts';
import type { MoRef } from '../translation/xml.ts';
import { SessionLostError, type CollectorLease, type VimCallOptions, type VimClient, type VimRequestEvent } from '../wire/vim-client.ts';
import { faultToError } from '../translation/faults.ts';

/** Options of a call: cancellation and what the call is about (for typed faults). */
export interface ApiCallOptions {
  signal?: AbortSignal;
  context?: Omit<FaultContext, 'method'>;
}

/** Options of a bounded wait. */
export interface ApiWaitOptions extends ApiCallOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs: number;
}

/** Options of {@link VSphereApi.runTask}. */
export interface ApiTaskOptions extends ApiCallOptions {
  /** Bound on the task (default 30 min). */
  timeoutMs?: number;
  /**
   * Undoes what the task made, when the caller gave up on it (signal or bound) and it
   * succeeded anyway: called with the task's result (e.g. the clone) after the task ended.
   */
  undo?: (result: MoRef) => Promise<void>;
}

/**
 * A task was given up (signal or bound) and what it may have made could not be settled: it
 * did not end within the bound after `CancelTask`, or undoing its result failed. `cause` is
 * why it was given up; `cleanupError` why the cleanup failed. Callers then look for the
 * result by name.
 */
export class AbandonedTaskError extends OperationFailedError {
  constructor(method: string, cause: unknown, cleanupError: unknown) {
    super(method, 'cancel', cause, cleanupError);
    this.name = 'AbandonedTaskError';
  }
}

/** Bound on settling a task given up on: its CancelTask, its end, and the undo of its result. */
const ABANDON_TIMEOUT_MS = 120_000;

/** A VM's power state as vim25 names it. */
export type VimPowerState = 'poweredOn' | 'poweredOff' | 'suspended';

/** What VMware Tools report about a guest. */
export interface GuestFacts {
  toolsRunning: boolean;
  ipAddress?: string;
}

/** Options of {@link VSphereApi}. */
export interface VSphereApiOptions {
  /** Receives a `command` event for every SOAP request this API sends (method and object, never a body). */
  events?: ProvkitEmitter;
}

const TASK_PATHS = ['info.state', 'info.error', 'info.result'];
/** Times a wait makes its collector afresh after the session was lost under it, before giving up. */
const MAX_SESSION_RESTARTS = 3;
/** Longest single long poll; a wait is a series of these up to its deadline. */
const MAX_POLL_SECONDS = 60;

/**
 * The vSphere operations provkit uses, on top of {@link VimClient}: lookups by inventory path
 * and container view, property retrieval (all pages), waits driven by `WaitForUpdatesEx`
 * (no timer polling), and the VM methods, each task followed to its end.
 */
export class VSphereApi {
  readonly client: VimClient;
  readonly #onRequest: ((event: VimRequestEvent) => void) | undefined;

  constructor(client: VimClient, options: VSphereApiOptions = {}) {
    this.client = client;
    const events = options.events;
    this.#onRequest = events
      ? (request) => {
          // A fault or a failed transport has no exit code: null, with the fault as the error.
          const event: CommandEvent = { target: client.endpoint, command: `${request.method} ${request.object.type}:${request.object.value}`, exitCode: request.error === undefined ? 0 : null, durationMs: request.durationMs };
          events.emit('command', request.error === undefined ? event : { ...event, error: request.error });
        }
      : undefined;
  }

  /** Options that make a direct call of {@link client} this API's own: its requests then become this API's command events. */
  get callOptions(): Pick<VimCallOptions, 'onRequest'> {
    return this.#with({});
  }

  /** The caller's options plus this API's request observer. */
  #with<T extends object>(options: T): T & Pick<VimCallOptions, 'onRequest'> {
    return this.#onRequest ? { ...options, onRequest: this.#onRequest } : options;
  }

  #call(request: VimRequest, options: VimCallOptions): Promise<XmlNode> {
    return this.client.call(request, this.#with(options));
  }

  /** The endpoint's service content (fetched once per client). */
  serviceContent(options: ApiCallOptions = {}): Promise<ServiceContent> {
    return this.client.serviceContent(this.#with(options.signal ? { signal: options.signal } : {}));
  }

  /** `FindByInventoryPath`: the entity at `path` (`DC0/vm/folder/name`), or `undefined`. */
  async findByPath(path: string, options: ApiCallOptions = {}): Promise<MoRef | undefined> {
    const content = await this.serviceContent(options);
    return parseReturnedMoRef(await this.#call(requests.findByInventoryPath(content.searchIndex, path), options));
  }

  /** Every object the specs select, following continuation tokens. */
  async retrieve(specs: readonly PropertyFilterSpec[], options: ApiCallOptions = {}): Promise<ObjectContent[]> {
    const content = await this.serviceContent(options);
    let page = parseRetrieveResult(await this.#call(requests.retrievePropertiesEx(content.propertyCollector, specs, 500), options));
    const objects = [...page.objects];
    while (page.token) {
      page = parseRetrieveResult(await this.#call(requests.continueRetrievePropertiesEx(content.propertyCollector, page.token), options));
      objects.push(...page.objects);
    }
    return objects;
  }

  /** Some properties of one object. A missing object raises the typed not-found of the context. */
  async properties(ref: MoRef, paths: readonly string[], options: ApiCallOptions = {}): Promise<Record<string, XmlValue>> {
    const [object] = await this.retrieve([propertiesOf(ref, paths)], options);
    return object?.props ?? {};
  }

  /** Properties of the objects of `type` under `container`, through a container view (destroyed after). */
  async viewObjects(container: MoRef, type: string, paths: readonly string[], options: ApiCallOptions = {}): Promise<ObjectContent[]> {
    const content = await this.serviceContent(options);
    const view = parseReturnedMoRef(await this.#call(requests.createContainerView(content.viewManager, container, [type], true), options));
    if (view === undefined) return [];
    try {
      return await this.retrieve([viewContents(view, type, paths)], options);
    } finally {
      await this.#call(requests.destroyView(view), {}).catch(() => undefined);
    }
  }

  /**
   * Follows properties of one object with `WaitForUpdatesEx` on a private collector until
   * `check` returns a value, the deadline passes (TimeoutError with the last state) or the
   * signal fires (AbortedError). When the session is lost under the wait (the client logged in
   * again), the collector went with it: the wait goes on with a new collector and filter.
   */
  async waitForProperties<T>(ref: MoRef, paths: readonly string[], check: (props: Readonly<Record<string, XmlValue | undefined>>) => T | undefined, options: ApiWaitOptions): Promise<T> {
    const { signal, timeoutMs, what } = options;
    const deadline = Date.now() + timeoutMs;
    const state: Record<string, XmlValue | undefined> = {};
    for (let restarts = 0; ; restarts++) {
      try {
        return await this.#follow(ref, paths, check, state, deadline, options);
      } catch (error) {
        // instanceof: SessionLostError shares CONNECTION_FAILED, and this package's own VimClient throws it.
        if (!(error instanceof SessionLostError) || restarts >= MAX_SESSION_RESTARTS) throw error;
        if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
        if (Date.now() >= deadline) throw new TimeoutError(what, timeoutMs, describe(state));
      }
    }
  }

  /** One collector's share of {@link waitForProperties}: filter, long polls, and the collector given back. */
  async #follow<T>(
    ref: MoRef,
    paths: readonly string[],
    check: (props: Readonly<Record<string, XmlValue | undefined>>) => T | undefined,
    state: Record<string, XmlValue | undefined>,
    deadline: number,
    options: ApiWaitOptions,
  ): Promise<T> {
    const { signal, timeoutMs, what } = options;
    const collector: CollectorLease = await this.client.acquireCollector(this.#with(signal ? { signal } : {}));
    const session = { session: collector.session };
    // Healthy only once its filter exists and no poll on it is pending.
    let healthy = false;
    let filter: MoRef | undefined;
    try {
      filter = parseReturnedMoRef(await this.#call(requests.createFilter(collector.ref, propertiesOf(ref, paths)), { ...options, ...session }));
      healthy = filter !== undefined;
      let version = '';
      for (;;) {
        if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) throw new TimeoutError(what, timeoutMs, describe(state));
        const waitSeconds = Math.max(1, Math.min(MAX_POLL_SECONDS, Math.ceil(remainingMs / 1000)));
        healthy = false; // until the poll returns, the collector may have a poll pending
        const response = await this.client.longPoll(
          () => this.#call(requests.waitForUpdatesEx(collector.ref, version, waitSeconds), { ...options, ...session, timeoutMs: waitSeconds * 1000 + 30_000 }),
          signal,
        );
        healthy = true;
        const set = parseUpdateSet(response);
        if (set === undefined) continue; // the poll's own wait ended without changes
        version = set.version;
        for (const update of set.updates) {
          if (update.obj.value !== ref.value) continue;
          if (update.kind === 'leave') throw faultToError({ type: 'ManagedObjectNotFound', message: `${ref.type} ${ref.value} went away`, detail: {} }, { method: 'WaitForUpdatesEx', ...options.context });
          Object.assign(state, update.changes);
        }
        const value = check(state);
        if (value !== undefined) return value;
      }
    } finally {
      if (filter && healthy) await this.#call(requests.destroyPropertyFilter(filter), session).catch(() => (healthy = false));
      this.client.releaseCollector(collector, healthy, this.#with({}));
    }
  }

  /**
   * Starts a task and follows it to its end; returns its result reference (e.g. a clone).
   * A task that ended in an error throws the typed error of its fault.
   *
   * A task given up on (the signal fired or the bound passed) is not left running: it gets
   * `CancelTask`, then a bounded wait for its end, and when it succeeded after all,
   * `options.undo` with its result; then the abort or timeout is thrown. The start request
   * itself is not cut off by the signal (it is short and bounded by the request timeout):
   * a task the server started must be known, to be cancelled.
   */
  async runTask(request: VimRequest, options: ApiTaskOptions = {}): Promise<MoRef | undefined> {
    const { signal, undo, timeoutMs, ...rest } = options;
    if (signal?.aborted) throw new AbortedError(`task ${request.method}`, { cause: signal.reason });
    const task = await this.client.startTask(request, this.#with(rest));
    let outcome;
    try {
      if (signal?.aborted) throw new AbortedError(`task ${request.method}`, { cause: signal.reason });
      // Many tasks are over by the time they are looked at: one retrieval settles those.
      outcome = decodeTaskOutcome(await this.properties(task, TASK_PATHS, options));
      if (outcome.state === 'queued' || outcome.state === 'running') {
        outcome = await this.waitForProperties(task, TASK_PATHS, finished, { ...options, what: `task ${request.method}`, timeoutMs: timeoutMs ?? 30 * 60_000 });
      }
    } catch (error) {
      if (ProvkitError.hasCode(error, 'ABORTED') || ProvkitError.hasCode(error, 'TIMEOUT')) await this.#abandon(task, request, undo, rest, error);
      throw error;
    }
    if (outcome.state === 'error') throw faultToError(outcome.fault, { method: request.method, ...options.context });
    return outcome.state === 'success' ? outcome.result : undefined;
  }

  /** Cancels a task given up on, waits (bounded) for its end and undoes its result; throws AbandonedTaskError when that fails. */
  async #abandon(task: MoRef, request: VimRequest, undo: ApiTaskOptions['undo'], options: ApiCallOptions, reason: unknown): Promise<void> {
    const bound = AbortSignal.timeout(ABANDON_TIMEOUT_MS);
    const call = { ...options, signal: bound };
    // A task that already ended, or cannot be cancelled, faults here: its end is awaited all the same.
    await this.#call(requests.cancelTask(task), call).catch(() => undefined);
    try {
      let outcome = decodeTaskOutcome(await this.properties(task, TASK_PATHS, call));
      if (outcome.state === 'queued' || outcome.state === 'running') {
        outcome = await this.waitForProperties(task, TASK_PATHS, finished, { ...call, what: `task ${request.method} to end after CancelTask`, timeoutMs: ABANDON_TIMEOUT_MS });
      }
      if (outcome.state === 'success' && outcome.result !== undefined && undo) await undo(outcome.result);
    } catch (error) {
      throw new AbandonedTaskError(request.method, reason, error);
    }
  }

  /** `CurrentTime`: the endpoint's clock, in ms since the epoch. */
  async currentTime(options: ApiCallOptions = {}): Promise<number> {
    return parseCurrentTime(await this.#call(requests.currentTime(), options));
  }

  /** Calls a method that is not a task. */
  async invoke(request: VimRequest, options: ApiCallOptions = {}): Promise<void> {
    await this.#call(request, options);
  }

  /** Tools state and IP address of a VM. */
  async guestFacts(vm: MoRef, options: ApiCallOptions = {}): Promise<GuestFacts> {
    return decodeGuest(await this.properties(vm, GUEST_PATHS, options));
  }

  /** Waits until Tools run and report an IP address. */
  async waitForGuest(vm: MoRef, options: ApiWaitOptions): Promise<GuestFacts & { ipAddress: string }> {
    return this.waitForProperties(vm, GUEST_PATHS, (props) => {
      const facts = decodeGuest(props);
      return facts.toolsRunning && facts.ipAddress ? { ...facts, ipAddress: facts.ipAddress } : undefined;
    }, options);
  }

  /** Waits until the VM's power state is `wanted`. */
  async waitForPowerState(vm: MoRef, wanted: VimPowerState, options: ApiWaitOptions): Promise<void> {
    await this.waitForProperties(vm, ['runtime.powerState'], (props) => (decodeString(props['runtime.powerState']) === wanted ? true : undefined), options);
  }

  /** The VM's files with their sizes (`layoutEx.file`). */
  async files(vm: MoRef, options: ApiCallOptions = {}): Promise<VmFile[]> {
    return decodeLayoutFiles((await this.properties(vm, ['layoutEx.file'], options))['layoutEx.file']);
  }

  /** `config.extraConfig` of a VM. */
  async extraConfig(vm: MoRef, options: ApiCallOptions = {}): Promise<Record<string, string>> {
    return decodeExtraConfig((await this.properties(vm, ['config.extraConfig'], options))['config.extraConfig']);
  }
}

const GUEST_PATHS = ['guest.toolsRunningStatus', 'guest.ipAddress'];

function finished(props: Readonly<Record<string, XmlValue | undefined>>): TaskOutcome | undefined {
  const current = decodeTaskOutcome(props);
  return current.state === 'success' || current.state === 'error' ? current : undefined;
}

function decodeGuest(props: Readonly<Record<string, XmlValue | undefined>>): GuestFacts {
  const ipAddress = decodeString(props['guest.ipAddress']);
  return { toolsRunning: decodeString(props['guest.toolsRunningStatus']) === 'guestToolsRunning', ...(ipAddress ? { ipAddress } : {}) };
}

function describe(state: Readonly<Record<string, XmlValue | undefined>>): string {
  const parts = Object.entries(state).map(([path, value]) => `${path}=${decodeString(value) ?? (decodeBoolean(value) ?? '…')}`);
  return parts.length ? parts.join(', ') : 'no update yet';
}
