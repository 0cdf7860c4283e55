/** BullMQ's key prefix for provkit queues. */
export const DEFAULT_PREFIX = 'provkit';

/** The queue that carries one host's jobs. */
export function queueName(host: string): string {
  return `host.${host}`;
}

/** The host a queue name belongs to, or undefined for a queue that is not a provkit host's. */
export function hostOfQueue(queue: string): string | undefined {
  return queue.startsWith('host.') ? queue.slice('host.'.length) : undefined;
}

/** provkit's own Redis keys beside BullMQ's, under one prefix. */
export class FleetKeys {
  readonly prefix: string;
  constructor(prefix = DEFAULT_PREFIX) {
    this.prefix = prefix;
  }
  /** Set of host names jobs were ever submitted to or served for (for status views). */
  get hosts(): string {
    return `${this.prefix}:fleet:hosts`;
  }
  /** Pub/sub channel of cancellation requests. */
  get cancelChannel(): string {
    return `${this.prefix}:fleet:cancel`;
  }
  /** Flag saying a job was cancelled (read by the worker that picks it up later). */
  cancelled(host: string, jobId: string): string {
    return `${this.prefix}:fleet:cancelled:${host}:${jobId}`;
  }
  /** Flag saying a job's operation began on the host at least once (a rerun must converge). */
  started(host: string, jobId: string): string {
    return `${this.prefix}:fleet:started:${host}:${jobId}`;
  }
  /** The lease of one node or image: at most one operation holds it. */
  lock(host: string, resource: string): string {
    return `${this.prefix}:fleet:lock:${host}:${resource}`;
  }
  /** Counter issuing fencing tokens for leases. */
  get fence(): string {
    return `${this.prefix}:fleet:fence`;
  }
}
