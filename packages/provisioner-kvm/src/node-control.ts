import { NodeNotFoundError, ProvkitError, waitFor } from '@provkit/core';
import type { KvmHost } from './kvm-host.ts';
import { CLEANUP_TIMEOUT_MS } from './transient-fault.ts';
import { powerStateOf, type DomainState } from './translation/virsh-output.ts';

/** Where a node's progress steps go while it is removed (`powered-off`, `node-removed`). */
export interface StepSink {
  step(step: string, detail?: string): void;
}

/**
 * A node's domain on the host, as the operations act on it: its state (a missing domain is
 * `NodeNotFoundError`), the power button and the plug, the wait until it is off, and its
 * removal with its own disks. No locking here: callers hold the node's lock.
 */
export class NodeControl {
  readonly host: KvmHost;
  readonly nodeDiskDir: string;

  constructor(host: KvmHost, nodeDiskDir: string) {
    this.host = host;
    this.nodeDiskDir = nodeDiskDir;
  }

  /** The node's own system disk on the host. */
  diskPath(name: string): string {
    return `${this.nodeDiskDir}/${name}.qcow2`;
  }

  /** Where the node's serial console output is kept on the host. */
  consoleLogPath(name: string): string {
    return `${this.nodeDiskDir}/${name}.console.log`;
  }

  /** The domain's state; `NodeNotFoundError` when there is no such domain. */
  async state(name: string, signal: AbortSignal | undefined): Promise<DomainState> {
    const state = await this.host.domainState(name, { signal });
    if (state === undefined) throw new NodeNotFoundError(name);
    return state;
  }

  /** Polls (200 ms growing to 2 s) until the node is off, within `timeoutMs` (`TimeoutError`). */
  async waitForOff(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    await waitFor({
      what: `node ${name} to power off`,
      timeoutMs,
      initialDelayMs: 200,
      maxDelayMs: 2000,
      signal,
      poll: async ({ signal: pollSignal }) => {
        const state = await this.state(name, pollSignal);
        return powerStateOf(state) === 'off' ? { done: true, value: undefined } : { done: false, state };
      },
    });
  }

  /**
   * Presses the guest's power button. A guest that went off by itself between the caller's
   * state read and the request (virsh: "domain is not running") is what was asked for, not a
   * failure: the state is read again and only a domain still on makes the error stand.
   */
  async askShutdown(name: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.host.shutdown(name, { signal });
    } catch (error) {
      if (powerStateOf(await this.state(name, signal)) !== 'off') throw error;
    }
  }

  /**
   * Shuts the node down (ACPI, waited for up to `timeoutMs`), then pulls the plug if it is still
   * on, telling `onForced`. A paused guest cannot hear the request: it is pulled at once.
   */
  async bringOff(name: string, timeoutMs: number, signal: AbortSignal | undefined, onForced?: () => void): Promise<void> {
    const state = await this.state(name, signal);
    if (powerStateOf(state) === 'off') return;
    if (state !== 'paused') {
      await this.askShutdown(name, signal);
      try {
        await this.waitForOff(name, timeoutMs, signal);
        return;
      } catch (error) {
        if (!ProvkitError.hasCode(error, 'TIMEOUT')) throw error;
        onForced?.();
      }
    }
    await this.host.destroy(name, { signal });
  }

  /** Pulls the plug unless the node is already off. */
  async forceOff(name: string, signal: AbortSignal | undefined): Promise<void> {
    if (powerStateOf(await this.state(name, signal)) !== 'off') await this.host.destroy(name, { signal });
  }

  /**
   * Destroys, undefines and deletes the node's own disks (never anything outside nodeDiskDir);
   * reports `powered-off` (when it was running) and `node-removed` (when a domain was there).
   * True when there was a domain.
   */
  async remove(name: string, signal: AbortSignal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS), progress?: StepSink): Promise<boolean> {
    const call = { signal };
    const disks = new Set([this.diskPath(name), this.consoleLogPath(name)]);
    const state = await this.host.domainState(name, call);
    if (state !== undefined) {
      for (const device of await this.host.blockDevices(name, call)) {
        if (device.source?.startsWith(`${this.nodeDiskDir}/`)) disks.add(device.source);
      }
      if (state !== 'shut off') {
        await this.host.destroy(name, call);
        progress?.step('powered-off', `was ${state}`);
      }
      await this.host.undefine(name, call);
    }
    await this.host.remove([...disks], call);
    if (state !== undefined) progress?.step('node-removed', [...disks].join(', '));
    return state !== undefined;
  }
}
