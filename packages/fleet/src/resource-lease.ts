import type { Redis } from 'ioredis';

// One script, one round trip (one fsync with appendfsync always) before an operation starts:
// refuse a cancelled job, take the lease if nobody holds it, and for a load mark the job as
// begun (answering whether an earlier attempt began it). Scripts are sent once and then run
// by their SHA (ioredis' defineCommand).
const ACQUIRE = `if redis.call('EXISTS', KEYS[3]) == 1 then return {-1, 0} end
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0} end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
local rerun = 0
if ARGV[3] ~= '' and redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[3], 'GET') then rerun = 1 end
return {token, rerun}`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The lease scripts as commands of one ioredis client. */
interface LeaseCommands {
  provkitLeaseAcquire(lock: string, fence: string, cancelled: string, started: string, owner: string, leaseMs: string, startedTtlSeconds: string): Promise<[number, number]>;
  provkitLeaseRenew(lock: string, value: string, leaseMs: string): Promise<number>;
  provkitLeaseRelease(lock: string, value: string): Promise<number>;
}

const defined = new WeakSet<Redis>();

function commands(redis: Redis): LeaseCommands {
  if (!defined.has(redis)) {
    redis.defineCommand('provkitLeaseAcquire', { numberOfKeys: 4, lua: ACQUIRE });
    redis.defineCommand('provkitLeaseRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('provkitLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
    defined.add(redis);
  }
  return redis as unknown as LeaseCommands;
}

/** Options of {@link acquireLease}. */
export interface AcquireLeaseOptions {
  redis: Redis;
  /** The lock key (one node or image of one host). */
  key: string;
  /** The counter that issues fencing tokens. */
  fenceKey: string;
  /** The job's cancellation flag: a cancelled job takes no lease. */
  cancelledKey: string;
  /**
   * The job's "began once" flag, set with the lease when given (a load: a rerun must first
   * clean up what an earlier attempt left).
   */
  started?: { key: string; ttlSeconds: number };
  /** Who holds it, e.g. `<worker>/<job id>`. */
  owner: string;
  /** Lease time; renewed every third of it while held. */
  leaseMs: number;
  /** Called once if a renewal finds the lease gone or taken (the holder must stop). */
  onLost: (reason: string) => void;
}

/**
 * A held lease on a node or image: a Redis key with a time to live, renewed while the
 * operation runs, holding the owner and a fencing token (a number that only grows, so logs
 * can tell an older holder from a newer one).
 */
export interface Lease {
  readonly key: string;
  readonly token: number;
  /** Stops renewing and deletes the key if it is still this lease's. */
  release(): Promise<void>;
}

/** What {@link acquireLease} found. */
export type LeaseAttempt =
  | { outcome: 'cancelled' }
  | { outcome: 'busy' }
  /** `rerun`: the `started` flag was already set (an earlier attempt began this job). */
  | { outcome: 'held'; lease: Lease; rerun: boolean };

/**
 * Takes the lease if the job is not cancelled and nobody holds the lease, in one round trip;
 * never waits (the caller delays a busy job instead). A holder that dies stops renewing; its
 * lease expires after `leaseMs` and the next operation can take it.
 */
export async function acquireLease(options: AcquireLeaseOptions): Promise<LeaseAttempt> {
  const { key, leaseMs } = options;
  const redis = commands(options.redis);
  const started = options.started;
  const [token, rerun] = await redis.provkitLeaseAcquire(key, options.fenceKey, options.cancelledKey, started?.key ?? options.cancelledKey, options.owner, String(leaseMs), started ? String(started.ttlSeconds) : '');
  if (Number(token) === -1) return { outcome: 'cancelled' };
  if (!Number(token)) return { outcome: 'busy' };
  const value = `${options.owner}|${token}`;
  let lost = false;
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = redis.provkitLeaseRenew(key, value, String(leaseMs)).then(
      (renewed) => {
        if (Number(renewed) === 0 && !lost) {
          lost = true;
          options.onLost(`the lease on ${key} expired or was taken`);
        }
      },
      // A renewal that cannot reach Redis is not a lost lease yet: the key lives out its TTL,
      // and the next renewal tells.
      () => undefined,
    );
  }, Math.max(50, Math.floor(leaseMs / 3)));
  timer.unref();
  const lease: Lease = {
    key,
    token: Number(token),
    async release() {
      clearInterval(timer);
      await renewing;
      await redis.provkitLeaseRelease(key, value);
    },
  };
  return { outcome: 'held', lease, rerun: Number(rerun) === 1 };
}
