import { AbortedError, TimeoutError } from '@provkit/core';
import { Job, type JobState } from 'bullmq';
import { FleetClient, progressEntries } from './fleet-client.ts';
import type { FleetOperation } from './fleet-operation.ts';
import type { FleetProgress, FleetResultOf } from './fleet-result.ts';
import { FleetJobLostError, isSerializedError, reconstructError } from './job-error.ts';

/** Options of {@link FleetJobHandle.result}. */
export interface FleetResultOptions {
  /** Bound on the wait (default 1 h). */
  timeoutMs?: number | undefined;
  /** Stops waiting (the job goes on; see {@link FleetJobHandle.cancel}). */
  signal?: AbortSignal;
}

/** How a job ended, or undefined while it has not. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * A submitted fleet job: its progress events as they happen, its typed result or typed
 * error, and cancellation. Any number of handles (in any process) may follow one job; each
 * sees the same single outcome, whatever retries or worker take-overs happened on the way.
 */
export class FleetJobHandle<O extends FleetOperation = FleetOperation> {
  readonly host: string;
  /** BullMQ job id (`key-<idempotency key>` when one was given). */
  readonly id: string;
  readonly #client: FleetClient;

  /** @internal */
  constructor(options: { client: FleetClient; host: string; jobId: string }) {
    this.#client = options.client;
    this.host = options.host;
    this.id = options.jobId;
  }

  /**
   * Calls `listener` with every progress event of the job: first those already published
   * (from the job's log), then each new one as the worker publishes it, each once. Returns a
   * function that stops listening.
   */
  onProgress(listener: (progress: FleetProgress) => void): () => void {
    const channel = this.#client.channel(this.host);
    const seen = new Set<string>();
    let replayed = false;
    const buffered: FleetProgress[] = [];
    const deliver = (progress: FleetProgress): void => {
      const key = `${progress.attempt}/${progress.seq}`;
      if (seen.has(key)) return;
      seen.add(key);
      listener(progress);
    };
    // Each live payload is every event so far: a missed one is made up by the next.
    const onLive = (data: unknown): void => {
      for (const progress of progressEntries(data)) {
        if (replayed) deliver(progress);
        else buffered.push(progress);
      }
    };
    const stop = FleetClient.listen(channel.progress, this.id, onLive);
    void this.#client.progressSoFar(this.host, this.id).then(
      (history) => {
        for (const progress of history) deliver(progress);
        replayed = true;
        for (const progress of buffered.splice(0)) deliver(progress);
      },
      () => {
        replayed = true;
        for (const progress of buffered.splice(0)) deliver(progress);
      },
    );
    return stop;
  }

  /** BullMQ's state of the job (`waiting`, `active`, `delayed`, `completed`, `failed`, ...), `unknown` once removed. */
  async state(): Promise<JobState | 'unknown'> {
    const job = await Job.fromId(this.#client.channel(this.host).queue, this.id);
    return job ? job.getState() : 'unknown';
  }

  /** Cancels the job (see {@link FleetClient.cancel}). */
  cancel(reason?: string): Promise<void> {
    return this.#client.cancel(this.host, this.id, reason);
  }

  /**
   * The operation's result once the job completed, or its error rebuilt as a typed
   * `ProvkitError` (`FleetRemoteError` with the worker's code, step and retryability, or
   * `FleetJobLostError`). Waits on the queue's events (a completion event carries the result), and re-reads the job every 1 s, then
   * less often up to every 5 s, so a lost event (a Redis restart) cannot hold it; bounded by `timeoutMs`.
   */
  async result(options: FleetResultOptions = {}): Promise<FleetResultOf<O>> {
    const channel = this.#client.channel(this.host);
    await channel.ready;
    const timeoutMs = options.timeoutMs ?? 3_600_000;
    const outcome = await new Promise<Outcome>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      let delay = 1000;
      let stopListening = (): void => undefined;
      const finish = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(poll);
        stopListening();
        options.signal?.removeEventListener('abort', onAbort);
        action();
      };
      const check = (): void => {
        void this.#outcome().then(
          (found) => found && finish(() => resolve(found)),
          () => undefined, // Redis unreachable for now: the next poll asks again.
        );
      };
      const onAbort = (): void => finish(() => reject(new AbortedError(`waiting for fleet job ${this.id}`, { cause: options.signal?.reason })));
      const schedule = (): void => {
        poll = setTimeout(() => {
          check();
          delay = Math.min(delay * 2, 5000);
          if (!settled) schedule();
        }, delay);
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // A completed event carries the result, and BullMQ emits it once, when the job is
      // final: no need to read the job back. Any other event is checked against Redis.
      stopListening = FleetClient.listen(channel.finished, this.id, (completed?: { returnvalue: unknown }) => {
        if (completed) finish(() => resolve({ ok: true, value: (completed.returnvalue as { result?: unknown } | null)?.result ?? null }));
        else check();
      });
      timer = setTimeout(() => finish(() => reject(new TimeoutError(`fleet job ${this.id} on host ${this.host} to finish`, timeoutMs))), timeoutMs);
      check();
      schedule();
    });
    if (outcome.ok) return outcome.value as FleetResultOf<O>;
    throw outcome.error;
  }

  /** The final outcome if the job has one (a failed attempt that will be retried is not final). */
  async #outcome(): Promise<Outcome | undefined> {
    const queue = this.#client.channel(this.host).queue;
    // State first, then the job: a job read before its final state was written would lack the
    // failure reason or result; once the state is final, so is the job's hash.
    const state = await queue.getJobState(this.id);
    if (state === 'unknown') return { ok: false, error: new FleetJobLostError(this.id, 'the job no longer exists (removed, or kept past its retention)') };
    if (state !== 'completed' && state !== 'failed') return undefined;
    const job = await Job.fromId(queue, this.id);
    if (!job) return { ok: false, error: new FleetJobLostError(this.id, 'the job no longer exists (removed, or kept past its retention)') };
    if (state === 'completed') return { ok: true, value: (job.returnvalue as { result?: unknown } | null)?.result ?? null };
    return { ok: false, error: errorFromReason(this.id, job.failedReason) };
  }
}

function errorFromReason(jobId: string, reason: string | undefined): Error {
  try {
    const parsed = JSON.parse(reason ?? '') as unknown;
    if (isSerializedError(parsed)) return reconstructError(parsed, jobId);
  } catch {
    // Not one of provkit's: BullMQ failed the job itself.
  }
  return new FleetJobLostError(jobId, reason || 'failed without a reason');
}

