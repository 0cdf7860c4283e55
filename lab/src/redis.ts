/**
 * The lab's `redis` service: Debian's redis-server on loopback with its append-only file
 * fsynced on every write, for `@provkit/fleet`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDir, labRoot } from './paths.ts';

/** State of the lab's `redis` service. */
export interface RedisLabState {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  host: string;
  port: number;
  /** Where the append-only file lives; kept across {@link restartLabRedis}. */
  dataDir: string;
  /** The fsync policy of the append-only file (`always`). */
  appendfsync: string;
  configPath: string;
  logPath: string;
  pidPath: string;
}

/** Options of {@link restartLabRedis}. */
export interface RestartLabRedisOptions {
  /** SIGKILL instead of SIGTERM: Redis gets no chance to flush, as in a crash. */
  hard?: boolean;
}

/**
 * Stops the lab's Redis and starts it again on the same port and data directory (the service
 * must be up). Resolves once it answers PING with its data loaded again.
 */
export async function restartLabRedis(options: RestartLabRedisOptions = {}): Promise<RedisLabState> {
  const lock = join(labDir, '.redis.lock');
  const args = ['-o', '-w', '600', lock, 'bash', join(labRoot, 'services', 'redis.sh'), 'restart', ...(options.hard ? ['hard'] : [])];
  const { stdout } = await promisify(execFile)('flock', args, { env: { ...process.env, PROVKIT_LAB_DIR: labDir }, timeout: 120_000 }).catch(
    (error: { stderr?: string; message: string }) => {
      throw new Error(`lab service redis restart failed: ${error.stderr?.trim().split('\n').slice(-5).join('\n') || error.message}`);
    },
  );
  return JSON.parse(stdout) as RedisLabState;
}
