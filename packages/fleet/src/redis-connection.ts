import type { RedisOptions } from 'ioredis';
import { InvalidInputError } from '@provkit/core';
import type { ConnectionOptions } from 'bullmq';

/** How to reach Redis: a `redis://` / `rediss://` URL, or ioredis options. */
export type RedisConnection = string | RedisOptions;

/**
 * ioredis options for BullMQ: `maxRetriesPerRequest: null` so commands wait through a Redis
 * restart instead of failing (workers and clients reconnect by themselves), with a bounded
 * reconnect backoff.
 */
export function redisOptions(connection: RedisConnection): RedisOptions {
  const base: RedisOptions = typeof connection === 'string' ? parseRedisUrl(connection) : { ...connection };
  return { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000), ...base };
}

function parseRedisUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidInputError('redis', `${JSON.stringify(url)} is not a redis:// URL`, { cause: error });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new InvalidInputError('redis', `${parsed.protocol} is not redis: or rediss:`);
  const options: RedisOptions = { host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : 6379 };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.slice(1);
  if (db) options.db = Number(db);
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/** The same options typed for BullMQ's constructors (its own `RedisOptions` is a looser copy of ioredis'). */
export function bullConnection(connection: RedisConnection): ConnectionOptions {
  return redisOptions(connection) as ConnectionOptions;
}
