import { InvalidStateError, NodeNotFoundError, NodeNotManagedError, OperationFailedError, waitFor, type ProgressReporter } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { tempPathFor, type KvmHost } from './kvm-host.ts';
import type { IndependentDisk, IndependentSettings, MakeIndependentResult } from './make-independent-options.ts';
import { isTransientHostFault } from './transient-fault.ts';
import { BLOCK_PULL_JOB, blockJobCommands, blockJobPercent, copyForRebase, isBlockJobBusy, isDomainNotRunning, isNoActiveBlockJob, parseBlockJobInfo, qemuImgRebaseStandalone, removeRebasePartials, replaceDisk, type BlockJobInfo } from './translation/independent-disk.ts';
import type { DomainState } from './translation/virsh-output.ts';

/** Bound on cancelling a block job and removing a temp copy (they run even after an abort). */
const CLEANUP_TIMEOUT_MS = 120_000;

/** What {@link DiskDetacher} needs of the provisioner. */
export interface DiskDetacherContext {
  host: KvmHost;
  /** libvirt URI of the host's connection. */
  uri: string;
  /** Bound on each short host command (state, info, job info). */
  commandTimeoutMs: number;
  /** Tells the provisioner's `warning` event. */
  warn: (message: string, node: string) => void;
}

/** A file disk of the domain, and the backing file it still has (if any). */
interface NodeDisk {
  target: string;
  path: string;
  backing: string | undefined;
}

/** Domain states in which QEMU runs and can pull (a paused guest's QEMU still copies). */
const LIVE_STATES: readonly DomainState[] = ['running', 'idle', 'paused'];

/**
 * Makes a node's disks stand alone, so the library image they were overlays on can be deleted
 * or replaced while the node lives. A running node's disks are block-pulled by QEMU (the guest
 * keeps running; a pull that is cancelled or interrupted leaves a valid disk, still linked). A
 * shut-off node's disks are copied beside themselves, the copy safely rebased onto nothing
 * (`qemu-img rebase -b ''`, which copies the backing data in), then renamed over the disk in
 * one step: an interruption leaves the disk as it was and a hidden temp copy, which the next
 * call removes. Runs with the node's lock held by the caller.
 */
export class DiskDetacher {
  readonly #context: DiskDetacherContext;
  readonly #jobs: ReturnType<typeof blockJobCommands>;

  constructor(context: DiskDetacherContext) {
    this.#context = context;
    this.#jobs = blockJobCommands(context.uri);
  }

  get #runner(): CommandRunner {
    return this.#context.host.runner;
  }

  /**
   * Starts the block pull of every linked disk of a running node and returns without waiting
   * (load uses it at power-on, so the copy overlaps the boot); {@link run} later adopts the jobs.
   */
  async startPulls(node: string, settings: IndependentSettings, signal: AbortSignal | undefined): Promise<void> {
    const call = this.#call(signal);
    for (const disk of await this.#disks(node, call)) {
      if (disk.backing !== undefined && (await this.#job(node, disk.target, call)) === undefined) await this.#startPull(node, disk.target, settings, call);
    }
  }

  /** Makes every file disk of `node` independent of its backing file; see the class. */
  async run(node: string, settings: IndependentSettings, progress: ProgressReporter, signal: AbortSignal | undefined): Promise<MakeIndependentResult> {
    const started = Date.now();
    const deadline = started + settings.timeoutMs;
    const call = this.#call(signal);
    const host = this.#context.host;
    const state = await host.domainState(node, call);
    if (state === undefined) throw new NodeNotFoundError(node);
    if (!(await host.provkitRecord(node, call)).managed) throw new NodeNotManagedError(node);
    const live = LIVE_STATES.includes(state);
    if (!live && state !== 'shut off') throw new InvalidStateError(`node ${node} is ${state}; its disks are made independent while it runs or once it is shut off`);
    const disks = await this.#disks(node, call);
    await this.#removePartials(node, disks, call);
    progress.step('started', `${disks.length} disk${disks.length === 1 ? '' : 's'}, node ${state}: ${live ? 'block pull while it runs' : 'rebase while it is off'}`);
    const results: IndependentDisk[] = [];
    let step = 'check-disks';
    let cleanupError: unknown;
    try {
      for (const disk of disks) {
        const job = live ? await this.#job(node, disk.target, call) : undefined;
        if (disk.backing === undefined && job === undefined) {
          results.push({ target: disk.target, path: disk.path, method: 'none' });
          continue;
        }
        if (live) {
          step = 'block-pull';
          if (job !== undefined && job.type !== BLOCK_PULL_JOB) throw new InvalidStateError(`disk ${disk.target} of node ${node} is in a ${job.type} job; make it independent once that job ends`);
          if (job === undefined) {
            await this.#startPull(node, disk.target, settings, call);
            progress.step('block-pull-started', `${disk.target}: ${disk.path} from ${disk.backing}`);
          } else {
            // An earlier call (maybe of a process that died) started it: QEMU kept copying.
            progress.step('block-pull-found', `${disk.target}: a pull started earlier is running, ${blockJobPercent(job)}% done`);
          }
          await this.#awaitPull(node, disk.target, deadline, progress, signal, (failure) => {
            cleanupError = failure;
          });
        } else {
          step = 'rebase';
          progress.step('rebase-started', `${disk.target}: ${disk.path} from ${disk.backing}`);
          await this.#rebase(node, disk.path, deadline, signal);
        }
        step = 'verify';
        const after = await this.#backingOf(disk.path, call);
        if (after !== undefined) {
          const now = await host.domainState(node, call);
          throw new InvalidStateError(`disk ${disk.target} of node ${node} still has backing file ${after} after the ${live ? 'block pull' : 'rebase'} (node now ${now ?? 'not defined'}); the disk is valid and still linked: call makeIndependent again`);
        }
        progress.step('disk-independent', `${disk.target}: ${disk.path} no longer needs ${disk.backing ?? 'a backing file'}`);
        results.push({ target: disk.target, path: disk.path, method: live ? 'block-pull' : 'rebase', ...(disk.backing !== undefined ? { formerBacking: disk.backing } : {}) });
      }
    } catch (error) {
      progress.step('make-independent-failed', `at ${step}; ${cleanupError === undefined ? 'every disk is valid; a disk not reported independent is still linked' : 'cancelling the block job failed'}`);
      throw new OperationFailedError('makeIndependent', step, error, cleanupError);
    }
    progress.step('make-independent-done', results.map((disk) => `${disk.target}: ${disk.method}`).join(', '));
    return { node, disks: results, durationMs: Date.now() - started };
  }

  #call(signal: AbortSignal | undefined): { signal?: AbortSignal | undefined; timeoutMs: number } {
    return { signal, timeoutMs: this.#context.commandTimeoutMs };
  }

  /** The domain's file disks (not CD-ROMs, not empty drives), each with its backing file. */
  async #disks(node: string, call: { signal?: AbortSignal | undefined; timeoutMs: number }): Promise<NodeDisk[]> {
    const devices = (await this.#context.host.blockDevices(node, call)).filter((device) => device.device === 'disk' && device.type === 'file' && device.source !== undefined);
    const disks: NodeDisk[] = [];
    for (const device of devices) disks.push({ target: device.target, path: device.source!, backing: await this.#backingOf(device.source!, call) });
    return disks;
  }

  async #backingOf(path: string, call: { signal?: AbortSignal | undefined; timeoutMs: number }): Promise<string | undefined> {
    const info = await this.#context.host.imageInfo(path, call);
    if (!info) throw new InvalidStateError(`the disk ${path} is missing on ${this.#runner.target}`);
    return info[0]!.fullBackingFilename ?? info[0]!.backingFilename;
  }

  async #job(node: string, target: string, call: { signal?: AbortSignal | undefined; timeoutMs?: number }): Promise<BlockJobInfo | undefined> {
    return parseBlockJobInfo((await this.#runner.run(this.#jobs.info(node, target), call)).stdout);
  }

  async #startPull(node: string, target: string, settings: IndependentSettings, call: { signal?: AbortSignal | undefined; timeoutMs: number }): Promise<void> {
    const result = await this.#runner.run(this.#jobs.pull(node, target, { bandwidthMiBps: settings.bandwidthMiBps }), { ...call, check: false });
    if (result.exitCode === 0) return;
    if (isDomainNotRunning(result.stderr)) throw new InvalidStateError(`node ${node} stopped running before the block pull of ${target} started; call makeIndependent again to rebase it while off`);
    if (isBlockJobBusy(result.stderr)) throw new InvalidStateError(`disk ${target} of node ${node} is already in a block job`);
    throw this.#context.host.failed(result);
  }

  /**
   * Polls the pull until its job is gone, reporting each whole percent. On timeout, abort or a
   * failure the job is cancelled (the disk stays valid and linked) and the error rethrown; a
   * failed cancel goes to `cancelFailed`, for the caller's error.
   */
  async #awaitPull(node: string, target: string, deadline: number, progress: ProgressReporter, signal: AbortSignal | undefined, cancelFailed: (failure: unknown) => void): Promise<void> {
    let reported = -1;
    try {
      await waitFor({
        what: `block pull of disk ${target} of node ${node}`,
        timeoutMs: Math.max(1, deadline - Date.now()),
        initialDelayMs: 200,
        maxDelayMs: 2000,
        // libvirtd restarting or the host's SSH lost for a moment: QEMU keeps pulling meanwhile.
        isTransient: isTransientHostFault,
        signal,
        poll: async ({ signal: pollSignal }) => {
          const job = await this.#job(node, target, { signal: pollSignal, timeoutMs: this.#context.commandTimeoutMs });
          if (job === undefined) return { done: true, value: undefined };
          if (job.type !== BLOCK_PULL_JOB) throw new InvalidStateError(`disk ${target} of node ${node} is now in a ${job.type} job`);
          const percent = blockJobPercent(job);
          if (percent !== reported) {
            reported = percent;
            progress.step('block-pull-progress', `${target}: ${percent}% (${job.currentBytes} of ${job.endBytes} bytes)`);
          }
          return { done: false, state: `${percent}% pulled` };
        },
      });
    } catch (error) {
      let cancelled = true;
      await this.#cancel(node, target).catch((failure: unknown) => {
        cancelled = false;
        cancelFailed(failure);
      });
      if (cancelled) progress.step('block-pull-cancelled', `${target}: stopped; the disk is valid, and still linked unless the pull had just ended`);
      throw error;
    }
  }

  /** Cancels the disk's block job and waits for QEMU to stop it; no job (it just ended) is fine. */
  async #cancel(node: string, target: string): Promise<void> {
    const result = await this.#runner.run(this.#jobs.abort(node, target), { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS), check: false });
    if (result.exitCode === 0 || isNoActiveBlockJob(result.stderr) || isDomainNotRunning(result.stderr)) return;
    throw this.#context.host.failed(result);
  }

  /**
   * The offline path: copy beside the disk, rebase the copy onto nothing, check the node is
   * still off, rename the copy over the disk. Each a command of its own, so a step cut off by a
   * timeout or an abort never runs the rename later on its own.
   */
  async #rebase(node: string, disk: string, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const slash = disk.lastIndexOf('/');
    const temp = tempPathFor(disk.slice(0, slash) || '/', disk.slice(slash + 1));
    const remaining = (): { signal?: AbortSignal | undefined; timeoutMs: number } => ({ signal, timeoutMs: Math.max(1, deadline - Date.now()) });
    try {
      await this.#context.host.writing(temp, () => this.#runner.run(copyForRebase(disk, temp), remaining()));
      await this.#context.host.writing(temp, () => this.#runner.run(qemuImgRebaseStandalone(temp), remaining()));
      // Started meanwhile by someone outside provkit (we hold its lock): a running QEMU would
      // keep writing the old file, so the copy must not take its place.
      const state = await this.#context.host.domainState(node, this.#call(signal));
      if (state !== 'shut off') throw new InvalidStateError(`node ${node} was started (${state ?? 'undefined'}) while its disk was rebased; the disk is unchanged and still linked`);
      await this.#context.host.writing(disk, () => this.#runner.run(replaceDisk(temp, disk), remaining()));
    } catch (error) {
      await this.#context.host.remove([temp], { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) }).catch(() => undefined);
      throw error;
    }
  }

  /** Temp copies an interrupted offline rebase left beside the node's disks (no one writes them: we hold the node's lock). */
  async #removePartials(node: string, disks: readonly NodeDisk[], call: { signal?: AbortSignal | undefined; timeoutMs: number }): Promise<void> {
    for (const disk of disks) {
      const removed = (await this.#runner.run(removeRebasePartials(disk.path), call)).stdout.split('\n').filter(Boolean);
      if (removed.length > 0) this.#context.warn(`removed temp copies an interrupted makeIndependent of node ${node} left: ${removed.join(', ')}`, node);
    }
  }
}
