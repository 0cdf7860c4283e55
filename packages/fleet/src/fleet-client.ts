import { ConflictError } from '@provkit/core';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { FleetOperation, FleetSubmission } from './fleet-operation.ts';
import { DEFAULT_PREFIX, FleetKeys, queueName } from './fleet-keys.ts';
import type { FleetProgress } from './fleet-result.ts';
import { FleetJobHandle } from './fleet-job-handle.ts';
import { jobDataFromSubmission } from './job-payload.ts';
import { bullConnection, redisOptions, type RedisConnection } from './redis-connection.ts';

/** Options of {@link FleetClient}. */
export interface FleetClientOptions {
  /** Redis: a `redis://` URL or ioredis options. */
  connection: RedisConnection;
  /** BullMQ key prefix (default `provkit`); workers must use the same. */
  prefix?: string;
  /** How long finished jobs are kept (and idempotency keys answer with them). Default 24 h. */
  keepFinishedMs?: number;
}

/**
 * The progress entries a job's progress value holds (the worker stores every event so far as
 * an array), or none for anything else.
 */
export function progressEntries(value: unknown): FleetProgress[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is FleetProgress => typeof item === 'object' && item !== null && typeof (item as FleetProgress).seq === 'number' && typeof (item as FleetProgress).event === 'object');
}

/** Per-host queue and event stream, made on first use. */
interface HostChannel {
  queue: Queue;
  events: QueueEvents;
  ready: Promise<unknown>;
  /**
   * Called when a job's state may have become final, by job id (one event listener per host,
   * not per handle), with the result when the event was `completed` (final: BullMQ emits it once).
   */
  finished: Map<string, Set<(completed?: { returnvalue: unknown }) => void>>;
  /** Called with each progress payload, by job id. */
  progress: Map<string, Set<(data: unknown) => void>>;
}

/**
 * Submits provkit operations to the fleet and follows them. Submission validates first (bad
 * input is an `InvalidInputError` and nothing is enqueued); an idempotency key makes a
 * repeated submission return the same job.
 */
export class FleetClient {
  readonly keys: FleetKeys;
  readonly #options: FleetClientOptions;
  readonly #redis: Redis;
  readonly #hosts = new Map<string, HostChannel>();
  /** Hosts this client already recorded in the status views' set (one write per host, not per job). */
  readonly #recorded = new Set<string>();

  constructor(options: FleetClientOptions) {
    this.#options = options;
    this.keys = new FleetKeys(options.prefix ?? DEFAULT_PREFIX);
    this.#redis = new Redis(redisOptions(options.connection));
    this.#redis.on('error', () => undefined);
  }

  /** @internal Adds `listener` to `map` under `jobId`; returns its removal. */
  static listen<T>(map: Map<string, Set<T>>, jobId: string, listener: T): () => void {
    const set = map.get(jobId) ?? new Set<T>();
    set.add(listener);
    map.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) map.delete(jobId);
    };
  }

  /** @internal The queue and event stream of a host. */
  channel(host: string): HostChannel {
    let channel = this.#hosts.get(host);
    if (!channel) {
      const connection = bullConnection(this.#options.connection);
      const queue = new Queue(queueName(host), { connection, prefix: this.keys.prefix });
      const events = new QueueEvents(queueName(host), { connection, prefix: this.keys.prefix });
      // Connection errors are retried by ioredis; a handle's wait is bounded on its own.
      events.on('error', () => undefined);
      queue.on('error', () => undefined);
      const finished: HostChannel['finished'] = new Map();
      const progress = new Map<string, Set<(data: unknown) => void>>();
      const onFinished = ({ jobId }: { jobId: string }): void => {
        for (const listener of finished.get(jobId) ?? []) listener();
      };
      events.on('completed', ({ jobId, returnvalue }) => {
        for (const listener of finished.get(jobId) ?? []) listener({ returnvalue });
      });
      events.on('failed', onFinished);
      events.on('removed', onFinished);
      events.on('progress', ({ jobId, data }) => {
        for (const listener of progress.get(jobId) ?? []) listener(data);
      });
      channel = { queue, events, ready: Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), finished, progress };
      this.#hosts.set(host, channel);
    }
    return channel;
  }

  /**
   * Enqueues an operation and returns its handle. With `idempotencyKey`, a job already
   * submitted with that key (and still kept) is returned instead; the same key with a
   * different request is refused with `ConflictError`.
   */
  async submit<O extends FleetOperation>(submission: FleetSubmission & { operation: O }): Promise<FleetJobHandle<O>> {
    const data = jobDataFromSubmission(submission);
    const channel = this.channel(data.host);
    await channel.ready;
    if (!this.#recorded.has(data.host)) {
      await this.#redis.sadd(this.keys.hosts, data.host);
      this.#recorded.add(data.host);
    }
    const keepSeconds = Math.ceil((this.#options.keepFinishedMs ?? 86_400_000) / 1000);
    const jobId = submission.idempotencyKey !== undefined ? `key-${submission.idempotencyKey}` : undefined;
    const job = await channel.queue.add(data.operation, data, {
      ...(jobId !== undefined ? { jobId } : {}),
      attempts: submission.attempts ?? 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: keepSeconds },
      removeOnFail: { age: keepSeconds },
    });
    // BullMQ ignores an add whose job id exists and hands back the data it was given: read
    // what is stored to tell a repeat from a different request under the same key.
    const stored = jobId !== undefined ? await Job.fromId(channel.queue, jobId) : undefined;
    if (stored && (stored.data as { fingerprint?: string }).fingerprint !== data.fingerprint) {
      throw new ConflictError(`idempotency key ${submission.idempotencyKey} was used for a different request (job ${jobId})`);
    }
    return new FleetJobHandle<O>({ client: this, host: data.host, jobId: job.id! });
  }

  /** A handle on a job submitted earlier (by any client). */
  handle<O extends FleetOperation = FleetOperation>(host: string, jobId: string): FleetJobHandle<O> {
    return new FleetJobHandle<O>({ client: this, host, jobId });
  }

  /**
   * Cancels a job: a worker running it aborts the operation (which rolls back as an aborted
   * call does); a job not yet running fails as cancelled when a worker picks it up.
   */
  async cancel(host: string, jobId: string, reason?: string): Promise<void> {
    await this.#redis.set(this.keys.cancelled(host, jobId), reason ?? 'cancelled', 'EX', 7 * 86_400);
    await this.#redis.publish(this.keys.cancelChannel, JSON.stringify({ host, jobId, ...(reason ? { reason } : {}) }));
    const job = await Job.fromId(this.channel(host).queue, jobId);
    // A job waiting out a delay would only see the flag when the delay ends.
    if (job && (await job.getState()) === 'delayed') await job.promote().catch(() => undefined);
  }

  /** Every progress event a job published so far, in order (the job's progress value in Redis). */
  async progressSoFar(host: string, jobId: string): Promise<FleetProgress[]> {
    const job = await Job.fromId(this.channel(host).queue, jobId);
    return progressEntries(job?.progress);
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#hosts.values()].flatMap((channel) => [channel.queue.close(), channel.events.close()]));
    this.#redis.disconnect();
  }
}
