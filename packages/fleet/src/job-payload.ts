import { createHash } from 'node:crypto';
import { checkImageName, checkName, checkPort, checkPositiveInteger, InvalidInputError, Secret, type NodeSpec } from '@provkit/core';
import { IMAGE_OPERATIONS, NODE_OPERATIONS, OS_OPERATIONS, PROVISIONER_OPERATIONS, type FleetJobData, type FleetOperation, type FleetSubmission } from './fleet-operation.ts';

/** Idempotency keys become BullMQ job ids: no `:` (BullMQ's key separator), bounded length. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Options keys the worker supplies itself; a submission carrying them is refused. */
const WORKER_OWNED = new Set(['signal', 'onProgress', 'osModule', 'node', 'image']);

/** Keys whose value would be a secret in clear; they must be given by reference. */
const SECRET_KEY = /^(password|passphrase|secret|token|privateKey|apiKey)$/i;

/**
 * Checks a submission and turns it into the job data stored in Redis, or throws
 * `InvalidInputError` naming the field, before anything is enqueued. Refuses any secret
 * in clear (a `password` key, a `Secret` value): secrets travel by reference (`passwordRef`).
 */
export function jobDataFromSubmission(submission: FleetSubmission): FleetJobData {
  if (typeof submission !== 'object' || submission === null) throw new InvalidInputError('submission', 'must be an object');
  const host = checkName('host', submission.host);
  const operation = submission.operation;
  if (![...PROVISIONER_OPERATIONS, ...OS_OPERATIONS].includes(operation as never)) {
    throw new InvalidInputError('operation', `${JSON.stringify(operation)} is not a fleet operation (one of ${[...PROVISIONER_OPERATIONS, ...OS_OPERATIONS].join(', ')})`);
  }
  const data: FleetJobData = { v: 1, host, operation, options: {}, fingerprint: '' };
  if (NODE_OPERATIONS.has(operation)) data.node = checkNode(submission.node);
  else if (submission.node !== undefined) throw new InvalidInputError('node', `${operation} takes no node`);
  if (IMAGE_OPERATIONS.has(operation)) data.image = checkImageName('image', submission.image);
  else if (submission.image !== undefined) throw new InvalidInputError('image', `${operation} takes no image`);
  if (submission.options !== undefined) {
    if (typeof submission.options !== 'object' || submission.options === null || Array.isArray(submission.options)) throw new InvalidInputError('options', 'must be an object');
    for (const key of Object.keys(submission.options)) {
      if (WORKER_OWNED.has(key)) throw new InvalidInputError(`options.${key}`, key === 'node' || key === 'image' ? `give ${key} beside options, not in them` : 'is supplied by the worker');
    }
    data.options = checkJson('options', submission.options) as Record<string, unknown>;
  }
  if (submission.idempotencyKey !== undefined && (typeof submission.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(submission.idempotencyKey))) {
    throw new InvalidInputError('idempotencyKey', `must match ${IDEMPOTENCY_KEY_PATTERN.source}`);
  }
  if (submission.attempts !== undefined) checkPositiveInteger('attempts', submission.attempts, 20);
  data.fingerprint = fingerprint(data);
  return data;
}

/** Validates a job's data as read back from Redis (a worker trusts nothing it did not check). */
export function checkJobData(raw: unknown): FleetJobData {
  const data = raw as FleetJobData;
  if (typeof raw !== 'object' || raw === null || data.v !== 1) throw new InvalidInputError('job.data', 'is not a provkit fleet job (v1)');
  const checked = jobDataFromSubmission({ host: data.host, operation: data.operation, ...(data.node ? { node: data.node } : {}), ...(data.image !== undefined ? { image: data.image } : {}), options: data.options });
  if (checked.fingerprint !== data.fingerprint) throw new InvalidInputError('job.data.fingerprint', 'does not match the job data');
  return checked;
}

function checkNode(value: unknown): NodeSpec {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError('node', 'is required: { name, address? }');
  const raw = value as Record<string, unknown>;
  const node: NodeSpec = { name: checkName('node.name', raw.name) };
  if (raw.address !== undefined) {
    const address = raw.address as Record<string, unknown>;
    if (typeof address !== 'object' || address === null || typeof address.host !== 'string' || address.host.length === 0) throw new InvalidInputError('node.address.host', 'is required in an address');
    node.address = { host: address.host, ...(address.port !== undefined ? { port: checkPort('node.address.port', address.port) } : {}) };
  }
  if (raw.mac !== undefined) {
    if (typeof raw.mac !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(raw.mac)) throw new InvalidInputError('node.mac', `${JSON.stringify(raw.mac)} is not a MAC address`);
    node.mac = raw.mac;
  }
  for (const key of Object.keys(raw)) if (!['name', 'address', 'mac'].includes(key)) throw new InvalidInputError(`node.${key}`, 'is not a node setting (name, address, mac)');
  return node;
}

/** Deep-checks that `value` is plain JSON holding no secret; returns a copy. */
function checkJson(field: string, value: unknown): unknown {
  if (value instanceof Secret || (typeof value === 'object' && value !== null && value.constructor?.name === 'Secret')) {
    throw new InvalidInputError(field, 'is a secret: job data is stored in Redis, so pass it by reference (passwordRef) from the worker configuration');
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(field, 'must be a finite number');
    return value;
  }
  if (Array.isArray(value)) return value.map((item, index) => checkJson(`${field}[${index}]`, item));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) throw new InvalidInputError(`${field}.${key}`, `secrets are never stored in Redis: name it by reference (${key}Ref) from the worker configuration`);
      if (key.endsWith('Ref') && typeof item !== 'string') throw new InvalidInputError(`${field}.${key}`, 'a reference is the name of a secret in the worker configuration');
      if (item !== undefined) copy[key] = checkJson(`${field}.${key}`, item);
    }
    return copy;
  }
  throw new InvalidInputError(field, `must be JSON (got ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value})`);
}

function fingerprint(data: Omit<FleetJobData, 'fingerprint'> & { fingerprint?: string }): string {
  const { fingerprint: _ignored, ...rest } = data;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The operations this module knows, for error messages and `--help`. */
export function knownOperations(): readonly FleetOperation[] {
  return [...PROVISIONER_OPERATIONS, ...OS_OPERATIONS];
}
