import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_PREFIX, FleetKeys, queueName } from './fleet-keys.ts';
import { bullConnection, redisOptions, type RedisConnection } from './redis-connection.ts';

/** One host's queue as {@link fleetStatus} sees it. */
export interface FleetHostStatus {
  host: string;
  /** Job counts by state. */
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number; prioritized: number };
  /** Operations at once on this host across workers (BullMQ global concurrency), if set. */
  concurrency: number | null;
  /** Workers serving the host now (their names). */
  workers: string[];
  /** The most recent jobs (newest first), at most `recent` of them. */
  jobs: { id: string; operation: string; node?: string; state: string; attempts: number; failedReason?: string }[];
}

/** Options of {@link fleetStatus}. */
export interface FleetStatusOptions {
  connection: RedisConnection;
  prefix?: string;
  /** Recent jobs to list per host (default 10). */
  recent?: number;
}

/** Queues, jobs and workers of every host the fleet has seen. */
export async function fleetStatus(options: FleetStatusOptions): Promise<FleetHostStatus[]> {
  const keys = new FleetKeys(options.prefix ?? DEFAULT_PREFIX);
  const redis = new Redis(redisOptions(options.connection));
  redis.on('error', () => undefined);
  try {
    const hosts = (await redis.smembers(keys.hosts)).sort();
    const statuses: FleetHostStatus[] = [];
    for (const host of hosts) {
      const queue = new Queue(queueName(host), { connection: bullConnection(options.connection), prefix: keys.prefix });
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
        // BullMQ names a worker's connections `<prefix>:<queue>:w:<worker name>`; one worker has several.
        const workers = [...new Set((await queue.getWorkers()).map((worker) => String(worker.rawname ?? '').split(':w:')[1] ?? worker.addr ?? '?'))];
        const recent = await queue.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed'], 0, (options.recent ?? 10) - 1, false);
        statuses.push({
          host,
          counts: counts as FleetHostStatus['counts'],
          concurrency: await queue.getGlobalConcurrency(),
          workers: workers.sort(),
          jobs: await Promise.all(
            recent
              .filter((job) => job?.id !== undefined)
              .sort((a, b) => b.timestamp - a.timestamp)
              .map(async (job) => ({
                id: job.id!,
                operation: job.name,
                ...((job.data as { node?: { name?: string } }).node?.name ? { node: (job.data as { node: { name: string } }).node.name } : {}),
                state: await job.getState(),
                attempts: job.attemptsMade,
                ...(job.failedReason ? { failedReason: job.failedReason } : {}),
              })),
          ),
        });
      } finally {
        await queue.close();
      }
    }
    return statuses;
  } finally {
    redis.disconnect();
  }
}
