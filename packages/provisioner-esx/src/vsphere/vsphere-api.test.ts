import { AbortedError, TimeoutError } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import type { VimRequest, XmlValue } from '../translation/envelope.ts';
import * as requests from '../translation/vim-requests.ts';
import type { MoRef } from '../translation/xml.ts';
import type { VimClient } from '../wire/vim-client.ts';
import { AbandonedTaskError, VSphereApi, type ApiWaitOptions } from './vsphere-api.ts';

type Props = Record<string, XmlValue | undefined>;
const TASK: MoRef = { type: 'Task', value: 'task-7' };
const CLONE: MoRef = { type: 'VirtualMachine', value: 'vm-42' };
const running: Props = { 'info.state': 'running' };
const succeeded: Props = { 'info.state': 'success', 'info.result': { '#text': CLONE.value, '@_type': CLONE.type } };

/**
 * A task that runs until CancelTask arrives, then ends as `afterCancel` says (a real endpoint
 * may finish a clone it could not stop). The client records the methods sent; property reads
 * and waits are answered from the task's state, so no endpoint is needed.
 */
class ScriptedTaskApi extends VSphereApi {
  readonly sent: string[] = [];
  state: Props = running;
  #wake: (() => void) | undefined;

  constructor(afterCancel: Props | 'never') {
    const sent: string[] = [];
    const client = {
      startTask: async (request: VimRequest) => {
        sent.push(request.method);
        return TASK;
      },
      call: async (request: VimRequest) => {
        sent.push(request.method);
        if (request.method === 'CancelTask' && afterCancel !== 'never') {
          this.state = afterCancel;
          this.#wake?.();
        }
        return {};
      },
    } as unknown as VimClient;
    super(client);
    this.sent = sent;
  }

  override async properties(): Promise<Record<string, XmlValue>> {
    return this.state as Record<string, XmlValue>;
  }

  override async waitForProperties<T>(_ref: MoRef, _paths: readonly string[], check: (props: Props) => T | undefined, options: ApiWaitOptions): Promise<T> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    for (;;) {
      const value = check(this.state);
      if (value !== undefined) return value;
      await new Promise<void>((resolve, reject) => {
        this.#wake = resolve;
        const stop = (error: Error) => () => reject(error);
        options.signal?.addEventListener('abort', stop(new AbortedError(options.what)), { once: true });
        deadline.addEventListener('abort', stop(new TimeoutError(options.what, options.timeoutMs, 'running')), { once: true });
      });
    }
  }
}

const clone = () => requests.cloneVmTask({ type: 'VirtualMachine', value: 'vm-1' }, { folder: { type: 'Folder', value: 'f' }, name: 'web-1', pool: { type: 'ResourcePool', value: 'p' } });

describe('VSphereApi.runTask when the caller gives up (scripted task, no endpoint)', () => {
  it('on abort: sends CancelTask, waits for the task to end, destroys the clone it made anyway, then throws AbortedError', async () => {
    const api = new ScriptedTaskApi(succeeded);
    const undone: string[] = [];
    const controller = new AbortController();
    const running = api.runTask(clone(), { signal: controller.signal, undo: async (made) => void undone.push(made.value) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    expect(api.sent).toEqual(['CloneVM_Task', 'CancelTask']);
    expect(undone).toEqual([CLONE.value]);
  });

  it('on its own bound: cancels the task; a cancelled task (error) leaves nothing to undo', async () => {
    const api = new ScriptedTaskApi({ 'info.state': 'error', 'info.error': { fault: { '@_xsi:type': 'RequestCanceled' }, localizedMessage: 'canceled' } });
    const undone: string[] = [];
    await expect(api.runTask(clone(), { timeoutMs: 20, undo: async (made) => void undone.push(made.value) })).rejects.toBeInstanceOf(TimeoutError);
    expect(api.sent).toEqual(['CloneVM_Task', 'CancelTask']);
    expect(undone).toEqual([]);
  });

  it('does not start a task when the signal has already fired', async () => {
    const api = new ScriptedTaskApi(succeeded);
    await expect(api.runTask(clone(), { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    expect(api.sent).toEqual([]);
  });

  it('throws AbandonedTaskError (cause: the abort) when undoing the late result fails', async () => {
    const api = new ScriptedTaskApi(succeeded);
    const controller = new AbortController();
    const running = api.runTask(clone(), { signal: controller.signal, undo: async () => Promise.reject(new Error('Destroy_Task refused')) });
    await new Promise<void>((resolve) => setImmediate(resolve));
    controller.abort();
    const error = await running.catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(AbandonedTaskError);
    expect((error as AbandonedTaskError).cause).toBeInstanceOf(AbortedError);
    expect(String((error as AbandonedTaskError).cleanupError)).toContain('Destroy_Task refused');
  });
});

describe('VSphereApi.waitForProperties and its collector (scripted client, no endpoint)', () => {
  const COLLECTOR: MoRef = { type: 'PropertyCollector', value: 'pc-1' };
  /** A client whose CreateFilter answers `createFilter`, recording how collectors come back. */
  const scriptedClient = (createFilter: () => Promise<XmlValue>) => {
    const released: Array<{ collector: string; healthy: boolean }> = [];
    const client = {
      acquireCollector: async () => ({ ref: COLLECTOR, session: 0 }),
      releaseCollector: (collector: { ref: MoRef }, healthy: boolean) => void released.push({ collector: collector.ref.value, healthy }),
      longPoll: <T>(task: () => Promise<T>) => task(),
      call: async (request: VimRequest) => {
        if (request.method === 'CreateFilter') return createFilter();
        if (request.method === 'WaitForUpdatesEx') {
          return { returnval: { version: '1', filterSet: { objectSet: { obj: { '#text': CLONE.value, '@_type': CLONE.type }, kind: 'enter', changeSet: { name: 'runtime.powerState', op: 'assign', val: 'poweredOff' } } } } };
        }
        return {};
      },
    } as unknown as VimClient;
    return { api: new VSphereApi(client), released };
  };
  const options = { what: 'the VM to be off', timeoutMs: 10_000 };

  it('never returns a collector whose CreateFilter failed to the pool', async () => {
    const { api, released } = scriptedClient(() => Promise.reject(new TimeoutError('CreateFilter', 1)));
    await expect(api.waitForPowerState(CLONE, 'poweredOff', options)).rejects.toBeInstanceOf(TimeoutError);
    expect(released).toEqual([{ collector: COLLECTOR.value, healthy: false }]);
  });

  it('returns a collector to the pool as healthy after a wait that ended cleanly', async () => {
    const { api, released } = scriptedClient(async () => ({ returnval: { '#text': 'filter-1', '@_type': 'PropertyFilter' } }));
    await api.waitForPowerState(CLONE, 'poweredOff', options);
    expect(released).toEqual([{ collector: COLLECTOR.value, healthy: true }]);
  });
});
