import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_PREFIX, FleetKeys, queueName } from './fleet-keys.ts';
import { bullConnection, redisOptions, type RedisConnection } from './redis-connection.ts';

/** Options of {@link startFleetDashboard}. */
export interface FleetDashboardOptions {
  connection: RedisConnection;
  prefix?: string;
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /** Address to listen on (default `127.0.0.1`: the dashboard has no login of its own). */
  listen?: string;
  /** How often hosts that appeared since are added (default 5 s). */
  refreshMs?: number;
}

/** A running dashboard. */
export interface FleetDashboard {
  /** `http://<address>:<port>/`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves Bull Board, read-only, over every host queue the fleet has seen: job counts by
 * state, each job's data, progress (every progress event so far), result or failure. Read-only
 * because retrying or removing a fleet job from outside bypasses its node lease bookkeeping.
 * Bull Board and its Express adapter are loaded only when a dashboard starts.
 */
export async function startFleetDashboard(options: FleetDashboardOptions): Promise<FleetDashboard> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([import('@bull-board/api'), import('@bull-board/api/bullMQAdapter'), import('@bull-board/express')]);
  const keys = new FleetKeys(options.prefix ?? DEFAULT_PREFIX);
  const redis = new Redis(redisOptions(options.connection));
  redis.on('error', () => undefined);
  const queues = new Map<string, Queue>();
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'provkit fleet' } } });
  const refresh = async (): Promise<void> => {
    const hosts = (await redis.smembers(keys.hosts)).sort();
    if (hosts.every((host) => queues.has(host)) && hosts.length === queues.size) return;
    for (const host of hosts) {
      if (queues.has(host)) continue;
      const queue = new Queue(queueName(host), { connection: bullConnection(options.connection), prefix: keys.prefix });
      queue.on('error', () => undefined);
      queues.set(host, queue);
    }
    board.replaceQueues([...queues.values()].map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })));
  };
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => undefined), options.refreshMs ?? 5000);
  timer.unref();
  const app = serverAdapter.getRouter() as { listen(port: number, host: string, callback: () => void): Server };
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, options.listen ?? '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      redis.disconnect();
    },
  };
}
