import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AbortedError, ProvkitError, type ProgressEvent } from '@provkit/core';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { FleetJobData } from './fleet-operation.ts';
import type { FleetProgress } from './fleet-result.ts';
import { DEFAULT_PREFIX, FleetKeys, queueName } from './fleet-keys.ts';
import { serializeError } from './job-error.ts';
import { checkJobData } from './job-payload.ts';
import { bullConnection, redisOptions, type RedisConnection } from './redis-connection.ts';
import { acquireLease, type Lease } from './resource-lease.ts';
import { runOperation, type HostModules } from './run-operation.ts';

/** One host a worker serves. */
export interface FleetWorkerHost extends HostModules {
  /** Operations on this host at once, across every worker (BullMQ global concurrency) and in this one. Default 4. */
  concurrency?: number;
}

/** What a fleet worker reports as it goes (for `provkit worker`'s output). */
export interface FleetWorkerLogEvent {
  kind: 'started' | 'delayed' | 'completed' | 'failed' | 'requeued' | 'cancel-requested' | 'lease-lost';
  host: string;
  jobId: string;
  operation?: string;
  node?: string;
  detail?: string;
}

/** Options of {@link FleetWorker.start}. */
export interface FleetWorkerOptions {
  /** Redis: a `redis://` URL or ioredis options. */
  connection: RedisConnection;
  hosts: readonly FleetWorkerHost[];
  /** BullMQ key prefix (default `provkit`); clients must use the same. */
  prefix?: string;
  /** This worker's name in status views (default `<hostname>/<pid>`). */
  name?: string;
  /**
   * BullMQ's job lock: a worker that stops renewing it for this long (it died) has its job
   * taken over by another worker. Default 30 s.
   */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs. Default 30 s. */
  stalledIntervalMs?: number;
  /** Stalls a job may survive before it fails with `JOB_LOST`. Default 2. */
  maxStalledCount?: number;
  /** Lease of a node (or image) lock; a dead holder's expires after this long. Default 30 s. */
  nodeLeaseMs?: number;
  /** Bounds of the delay before a job whose node is busy is tried again. Default 200..2000 ms. */
  busyRetryDelayMs?: { min: number; max: number };
  /**
   * A file every worker appends one JSON line to when an operation starts and ends (with the
   * lease's fencing token), so overlaps on one node can be checked afterwards.
   */
  operationsLogPath?: string;
  onLog?: (event: FleetWorkerLogEvent) => void;
}

/** Options of {@link FleetWorker.close}. */
export interface FleetWorkerCloseOptions {
  /**
   * How long running operations may go on before they are aborted (and so roll back) and their
   * jobs go back to the queue for another worker. Default 60 s.
   */
  timeoutMs?: number;
}

/** Why a running operation was aborted: each ends its job differently. */
type AbortKind = 'cancel' | 'lease-lost' | 'shutdown';

/** A job this worker runs now, and how to abort it. */
class Running {
  readonly controller = new AbortController();
  kind: AbortKind | undefined;
  /** Aborts the operation once, remembering why. */
  abort(kind: AbortKind, reason: AbortedError): void {
    if (this.controller.signal.aborted) return;
    this.kind = kind;
    this.controller.abort(reason);
  }
}

/**
 * A fleet worker: serves the queues of its hosts, runs at most one operation per node across
 * every worker (a lease in Redis), publishes the operation's progress events on the job,
 * stores a typed error on failure, and takes part in BullMQ's stalled-job recovery.
 */
export class FleetWorker {
  readonly name: string;
  readonly #options: FleetWorkerOptions;
  readonly #keys: FleetKeys;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #workers: Worker[] = [];
  readonly #queues: Queue[] = [];
  readonly #running = new Map<string, Running>();
  readonly #hosts = new Map<string, FleetWorkerHost>();
  #closing: Promise<void> | undefined;

  private constructor(options: FleetWorkerOptions) {
    this.#options = options;
    this.name = options.name ?? `${hostname()}/${process.pid}`;
    this.#keys = new FleetKeys(options.prefix ?? DEFAULT_PREFIX);
    this.#redis = new Redis(redisOptions(options.connection));
    this.#subscriber = new Redis(redisOptions(options.connection));
    // ioredis reconnects by itself (a Redis restart); without a listener it would print each attempt.
    this.#redis.on('error', () => undefined);
    this.#subscriber.on('error', () => undefined);
    for (const host of options.hosts) this.#hosts.set(host.name, host);
  }

  /** Connects, subscribes to cancellations and starts serving every host's queue. */
  static async start(options: FleetWorkerOptions): Promise<FleetWorker> {
    const worker = new FleetWorker(options);
    await worker.#start();
    return worker;
  }

  async #start(): Promise<void> {
    const options = this.#options;
    this.#subscriber.on('message', (_channel: string, message: string) => this.#onCancel(message));
    await this.#subscriber.subscribe(this.#keys.cancelChannel);
    for (const host of options.hosts) {
      const concurrency = host.concurrency ?? 4;
      const connection = bullConnection(options.connection);
      const queue = new Queue(queueName(host.name), { connection, prefix: this.#keys.prefix });
      queue.on('error', () => undefined);
      await queue.setGlobalConcurrency(concurrency);
      await this.#redis.sadd(this.#keys.hosts, host.name);
      this.#queues.push(queue);
      const worker = new Worker(queueName(host.name), (job, token) => this.#process(host, job, token), {
        connection,
        prefix: this.#keys.prefix,
        name: this.name,
        concurrency,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: options.maxStalledCount ?? 2,
        autorun: false,
      });
      // Errors of the connection are reported by ioredis' reconnects; keep the process alive.
      worker.on('error', () => undefined);
      this.#workers.push(worker);
    }
    for (const worker of this.#workers) void worker.run();
    await Promise.all(this.#workers.map((worker) => worker.waitUntilReady()));
  }

  /** Job ids this worker is running now. */
  get runningJobs(): string[] {
    return [...this.#running.keys()];
  }

  #log(event: FleetWorkerLogEvent): void {
    this.#options.onLog?.(event);
  }

  #onCancel(message: string): void {
    let request: { host?: unknown; jobId?: unknown; reason?: unknown };
    try {
      request = JSON.parse(message) as typeof request;
    } catch {
      return;
    }
    if (typeof request.jobId !== 'string' || typeof request.host !== 'string') return;
    const running = this.#running.get(runningKey(request.host, request.jobId));
    if (!running) return;
    this.#log({ kind: 'cancel-requested', host: request.host, jobId: request.jobId });
    running.abort('cancel', new AbortedError(`fleet job ${request.jobId} was cancelled${typeof request.reason === 'string' ? `: ${request.reason}` : ''}`));
  }

  async #process(host: FleetWorkerHost, job: Job, token: string | undefined): Promise<unknown> {
    const jobId = job.id!;
    let data: FleetJobData;
    try {
      data = checkJobData(job.data);
    } catch (error) {
      throw new UnrecoverableError(JSON.stringify(serializeError(error)));
    }
    const base = { host: host.name, jobId, operation: data.operation, ...(data.node ? { node: data.node.name } : {}) };
    const cancelledKey = this.#keys.cancelled(host.name, jobId);
    const cancelledBeforeRun = (): UnrecoverableError => new UnrecoverableError(JSON.stringify(serializeError(new AbortedError(`fleet job ${jobId} was cancelled before it ran`))));
    const resource = data.node ? `node:${data.node.name}` : data.image !== undefined ? `image:${data.image}` : undefined;
    const running = new Running();
    const controller = running.controller;
    let lease: Lease | undefined;
    let rerun = false;
    if (resource) {
      // The cancellation check, the lease and (for a load) the "began once" mark: one round trip.
      const attempt = await acquireLease({
        redis: this.#redis,
        key: this.#keys.lock(host.name, resource),
        fenceKey: this.#keys.fence,
        cancelledKey,
        ...(data.operation === 'load' ? { started: { key: this.#keys.started(host.name, jobId), ttlSeconds: 7 * 86_400 } } : {}),
        owner: `${this.name}/${jobId}`,
        leaseMs: this.#options.nodeLeaseMs ?? 30_000,
        onLost: (reason) => {
          this.#log({ ...base, kind: 'lease-lost', detail: reason });
          running.abort('lease-lost', new AbortedError(reason));
        },
      });
      if (attempt.outcome === 'cancelled') throw cancelledBeforeRun();
      if (attempt.outcome === 'busy') {
        const { min, max } = this.#options.busyRetryDelayMs ?? { min: 200, max: 2000 };
        const retries = Number(await this.#redis.hincrby(`${this.#keys.prefix}:${queueName(host.name)}:${jobId}`, 'fleetBusy', 1));
        const delay = Math.min(max, min * 2 ** Math.min(retries, 10)) * (0.5 + Math.random() / 2);
        this.#log({ ...base, kind: 'delayed', detail: `${resource} is busy; again in ${Math.round(delay)} ms` });
        await job.moveToDelayed(Date.now() + delay, token);
        throw new DelayedError();
      }
      lease = attempt.lease;
      rerun = attempt.rerun;
    } else if (await this.#redis.exists(cancelledKey)) {
      throw cancelledBeforeRun();
    }
    const key = runningKey(host.name, jobId);
    this.#running.set(key, running);
    // The job's progress value is every event so far (earlier attempts' included): one write
    // per event publishes it live (QueueEvents) and keeps it for a handle attached late.
    const history: FleetProgress[] = Array.isArray(job.progress) ? (job.progress as FleetProgress[]) : [];
    let progress: Promise<unknown> = Promise.resolve();
    let seq = 0;
    const onProgress = (event: ProgressEvent): void => {
      if (data.node ? event.node !== data.node.name : event.image !== data.image) return;
      history.push(JSON.parse(JSON.stringify({ seq: ++seq, attempt: job.attemptsStarted, event })) as FleetProgress);
      const snapshot = [...history];
      // In order, without holding the operation: progress is published as it happens.
      progress = progress.then(() => job.updateProgress(snapshot)).catch(() => undefined);
    };
    const emitters = new Set([host.provisioner.events, ...(host.osModule ? [host.osModule.events] : [])]);
    for (const emitter of emitters) emitter.on('progress', onProgress);
    this.#opsLog({ at: Date.now(), phase: 'start', worker: this.name, host: host.name, jobId, operation: data.operation, resource, fence: lease?.token ?? null });
    this.#log(lease ? { ...base, kind: 'started', detail: `fence ${lease.token}` } : { ...base, kind: 'started' });
    try {
      // A load that already began once (its worker died, or it failed and is retried) may
      // have left a half-made node. The contract's unload is idempotent, so converge by
      // unloading first; a load over a managed node would replace it as well.
      if (rerun) {
        onProgress({ operation: 'load', step: 'fleet-recovery', node: data.node!.name, detail: 'an earlier attempt began: unloading what it left', elapsedMs: 0, at: new Date() });
        await host.provisioner.unload({ node: data.node!, signal: controller.signal });
      }
      const result = await runOperation(data, { host, otherHost: (name) => this.#hosts.get(name), signal: controller.signal });
      await progress;
      this.#log({ ...base, kind: 'completed' });
      return { result };
    } catch (error) {
      await progress;
      if (running.kind === 'shutdown') {
        // Aborted by a bounded shutdown: the operation rolled back; another worker runs it.
        this.#log({ ...base, kind: 'requeued', detail: 'worker shutting down' });
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const serialized = serializeError(error);
      this.#log({ ...base, kind: 'failed', detail: `${serialized.code}: ${serialized.message}` });
      // A cancelled job is never run again; one that lost its node lease rolled back and may be.
      const retryable = running.kind === 'lease-lost' || (running.kind === undefined && ProvkitError.isInstance(error) && error.isRetryable);
      if (retryable) throw new Error(JSON.stringify(serialized));
      throw new UnrecoverableError(JSON.stringify(serialized));
    } finally {
      for (const emitter of emitters) emitter.off('progress', onProgress);
      this.#running.delete(key);
      this.#opsLog({ at: Date.now(), phase: 'end', worker: this.name, host: host.name, jobId, operation: data.operation, resource, fence: lease?.token ?? null });
      await lease?.release().catch(() => undefined);
    }
  }

  #opsLog(entry: Record<string, unknown>): void {
    if (this.#options.operationsLogPath) appendFileSync(this.#options.operationsLogPath, `${JSON.stringify(entry)}\n`);
  }

  /**
   * Graceful shutdown: stops taking jobs at once, lets running operations finish for up to
   * `timeoutMs`, then aborts the rest (each rolls back as an aborted call does) and puts their
   * jobs back in the queue. Resolves when every connection is closed. Idempotent.
   */
  close(options: FleetWorkerCloseOptions = {}): Promise<void> {
    return (this.#closing ??= this.#close(options.timeoutMs ?? 60_000));
  }

  async #close(timeoutMs: number): Promise<void> {
    const drained = Promise.all(this.#workers.map((worker) => worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)));
    if ((await Promise.race([drained, expired])) === 'expired') {
      for (const running of this.#running.values()) running.abort('shutdown', new AbortedError('the worker is shutting down'));
      await drained;
    }
    clearTimeout(timer);
    await Promise.all(this.#queues.map((queue) => queue.close()));
    this.#subscriber.disconnect();
    this.#redis.disconnect();
  }
}

function runningKey(host: string, jobId: string): string {
  return `${host}\u0000${jobId}`;
}
