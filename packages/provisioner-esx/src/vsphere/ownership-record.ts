/**
 * provkit's ownership and intent record on the VMs it creates: `extraConfig` keys written in
 * the clone spec itself, so the record exists from the moment the VM does. Pure.
 *
 * - `provkit.operation`: a random id of the operation that made the VM. A clean-up destroys a
 *   VM only when it carries its own operation's id: never a VM of the same name another
 *   orchestrator made.
 * - `provkit.owner`: the orchestrator (`host/pid`), for people reading the inventory.
 * - `provkit.state`: `loading` while the load that made it runs, `ready` once it ended well.
 * - `provkit.leaseUntil`: while `loading`, the endpoint time (ISO 8601) until which the load
 *   is known alive; the load renews it as it runs (`provkit.leaseMs` is its length).
 *
 * A `loading` VM whose lease passed, and whose clone task did not end within one lease either
 * (a clone can outlast a lease, and the load renews only once it has its VM), was left by a
 * dead orchestrator: a leftover that the next load, unload or deleteImage removes.
 *
 * A capture's temporary copy (`<image>~capture-<hex>`) carries the same record, with state
 * `capturing` and the VM it copies (`provkit.captureOf`): a copy whose capture died is a
 * leftover that the next capture of that image removes.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Key of the operation id. */
export const OPERATION_KEY = 'provkit.operation';
/** Key of the orchestrator that made the VM. */
export const OWNER_KEY = 'provkit.owner';
/** Key of the VM's state: `loading` or `ready`. */
export const STATE_KEY = 'provkit.state';
/** Key of the lease of a `loading` VM's operation. */
export const LEASE_KEY = 'provkit.leaseUntil';

/** Key of the length of the lease, in ms. */
export const LEASE_MS_KEY = 'provkit.leaseMs';

/** Key, on a capture's temporary copy, of the VM it copies (its managed object id): the clone task's entity. */
export const CAPTURE_OF_KEY = 'provkit.captureOf';

/**
 * What sets a capture's temporary copy apart: its name is `<image>~capture-<hex>` (`~` is
 * outside every valid node and image name, so no node or image can carry it).
 */
const CAPTURE_MARK = '~capture-';

/** What a VM's extraConfig says about the operation that made it. */
export interface OwnershipRecord {
  operation?: string;
  owner?: string;
  /** `undefined`: a VM from before the record (or not provkit's): treated as ready. */
  state?: 'loading' | 'ready';
  /** Endpoint time in ms since the epoch; only while `loading`. */
  leaseUntil?: number;
  /** Length of the lease the operation renews. */
  leaseMs?: number;
}

/** Lease of a load's record unless the provisioner is given another (`leaseMs`). */
export const DEFAULT_LEASE_MS = 120_000;

/** The record of a VM, from its extraConfig. */
export function decodeOwnership(extra: Readonly<Record<string, string>>): OwnershipRecord {
  const state = extra[STATE_KEY];
  const leaseMs = Number(extra[LEASE_MS_KEY]);
  const lease = extra[LEASE_KEY] === undefined || extra[LEASE_KEY] === '' ? Number.NaN : Date.parse(extra[LEASE_KEY]);
  return {
    ...(extra[OPERATION_KEY] ? { operation: extra[OPERATION_KEY] } : {}),
    ...(extra[OWNER_KEY] ? { owner: extra[OWNER_KEY] } : {}),
    ...(state === 'loading' || state === 'ready' ? { state } : {}),
    ...(Number.isFinite(lease) ? { leaseUntil: lease } : {}),
    ...(Number.isInteger(leaseMs) && leaseMs > 0 ? { leaseMs } : {}),
  };
}

/** A new operation of this process (a random id, this host and pid as its owner) with a lease of `leaseMs`. */
export function newOperation(leaseMs: number): { id: string; owner: string; leaseMs: number } {
  return { id: randomBytes(8).toString('hex'), owner: `${hostname()}/${process.pid}`, leaseMs };
}

/** extraConfig entries of a VM being made by `operation`, alive until `leaseUntil`. */
export function loadingRecord(operation: { id: string; owner: string; leaseMs: number }, leaseUntil: number): Record<string, string> {
  return { [OPERATION_KEY]: operation.id, [OWNER_KEY]: operation.owner, [STATE_KEY]: 'loading', [LEASE_KEY]: new Date(leaseUntil).toISOString(), [LEASE_MS_KEY]: String(operation.leaseMs) };
}

/**
 * extraConfig entries of a capture's temporary copy of the VM `source`, made by `operation`,
 * alive until `leaseUntil`. `provkit.state` is `capturing`, which no load state reads as its own.
 */
export function capturingRecord(operation: { id: string; owner: string; leaseMs: number }, leaseUntil: number, source: string): Record<string, string> {
  return { ...loadingRecord(operation, leaseUntil), [STATE_KEY]: 'capturing', [CAPTURE_OF_KEY]: source };
}

/** The name of a capture's temporary copy of `image` (random, so each capture has its own). */
export function captureTemporaryName(image: string, random: string): string {
  return `${image}${CAPTURE_MARK}${random}`;
}

/** The image a capture's temporary copy was to become, or undefined when `name` is no such copy's. */
export function imageOfCaptureTemporary(name: string): string | undefined {
  const at = name.indexOf(CAPTURE_MARK);
  return at > 0 ? name.slice(0, at) : undefined;
}

/** extraConfig entries renewing a lease. */
export function leaseRenewal(leaseUntil: number): Record<string, string> {
  return { [LEASE_KEY]: new Date(leaseUntil).toISOString() };
}

/** extraConfig entries of a VM whose load ended well (the lease no longer matters). */
export function readyRecord(): Record<string, string> {
  return { [STATE_KEY]: 'ready', [LEASE_KEY]: '' };
}

/**
 * Whether the operation that made a VM is still known alive at endpoint time `now`:
 * a VM not `loading` has no running operation; a `loading` one is alive while its lease
 * holds, or while its clone task ended less than one lease ago (`cloneEndedAt`, when known:
 * the load renews its lease only once the clone gave it its VM). A record without a lease
 * length counts one of {@link DEFAULT_LEASE_MS}.
 */
export function operationAlive(record: OwnershipRecord, now: number, cloneEndedAt?: number): boolean {
  return record.state === 'loading' && leaseAlive(record, now, cloneEndedAt);
}

/**
 * Whether a record's lease says its operation (a load or a capture) is alive at endpoint time
 * `now`: the lease holds, or the clone that made its VM ended less than one lease ago.
 */
export function leaseAlive(record: OwnershipRecord, now: number, cloneEndedAt?: number): boolean {
  if (record.leaseUntil !== undefined && record.leaseUntil > now) return true;
  return cloneEndedAt !== undefined && cloneEndedAt + (record.leaseMs ?? DEFAULT_LEASE_MS) > now;
}

/**
 * The orchestrator process named by a record's `owner` (`host/pid`, as a load writes it), or
 * undefined when it does not read as one.
 */
export function parseOwner(owner: string | undefined): { host: string; pid: number } | undefined {
  const match = owner === undefined ? null : /^(.+)\/(\d+)$/.exec(owner);
  if (!match) return undefined;
  const pid = Number(match[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: match[1]!, pid } : undefined;
}
