import type { Redis } from 'ioredis';

const ACQUIRE = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Options of {@link acquireLease}. */
export interface AcquireLeaseOptions {
  redis: Redis;
  /** The lock key (one node or image of one host). */
  key: string;
  /** The counter that issues fencing tokens. */
  fenceKey: string;
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

/**
 * Takes the lease if nobody holds it, or returns undefined at once (the caller delays its job
 * instead of waiting here). A holder that dies stops renewing; its lease expires after
 * `leaseMs` and the next operation can take it.
 */
export async function acquireLease(options: AcquireLeaseOptions): Promise<Lease | undefined> {
  const { redis, key, leaseMs } = options;
  const token = Number(await redis.eval(ACQUIRE, 2, key, options.fenceKey, options.owner, String(leaseMs)));
  if (!token) return undefined;
  const value = `${options.owner}|${token}`;
  let lost = false;
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = (redis.eval(RENEW, 1, key, value, String(leaseMs)) as Promise<number>).then(
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
  return {
    key,
    token,
    async release() {
      clearInterval(timer);
      await renewing;
      await redis.eval(RELEASE, 1, key, value);
    },
  };
}
