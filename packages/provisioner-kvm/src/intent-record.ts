import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { UnexpectedOutputError } from '@provkit/core';

/**
 * What an operation is about to create (or remove) on the host, written before it does so:
 * beside the node's disk, in `<nodeDiskDir>/.provkit/<node>.intent.json`. While the operation
 * runs it holds the node's host lock; a record found by someone who holds that lock therefore
 * belongs to an operation that died (process killed, connection lost) and tells the next call
 * exactly what to undo — never more than that operation made.
 */
export interface IntentRecord {
  /** Format version. */
  version: 1;
  operation: 'load' | 'unload';
  /** Unique per operation: clean-up removes only what a record with its own id names. */
  id: string;
  /** The orchestrator that wrote it (for people reading leftovers). */
  host: string;
  pid: number;
  startedAt: string;
  node: string;
  /** The libvirt domain the operation defines (load) or removes (unload). */
  domain: string;
  /** Files the operation creates (load) or removes (unload), all under nodeDiskDir. */
  paths: string[];
  image?: string;
}

/** A fresh record for this process. */
export function newIntentRecord(fields: Pick<IntentRecord, 'operation' | 'node' | 'domain' | 'paths'> & { image?: string }): IntentRecord {
  return { version: 1, id: randomUUID(), host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), ...fields };
}

/** The record as stored (one JSON line). */
export function serializeIntentRecord(record: IntentRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Parses a stored record; refuses (typed) anything that is not one, and any path outside
 * `nodeDiskDir`: a damaged or hostile record must never make clean-up delete elsewhere.
 */
export function parseIntentRecord(text: string, nodeDiskDir: string): IntentRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnexpectedOutputError('intent record', text, 'not JSON', { cause: error });
  }
  const record = value as Partial<IntentRecord> | null;
  const ok =
    record !== null &&
    typeof record === 'object' &&
    record.version === 1 &&
    (record.operation === 'load' || record.operation === 'unload') &&
    typeof record.id === 'string' &&
    typeof record.node === 'string' &&
    typeof record.domain === 'string' &&
    Array.isArray(record.paths) &&
    record.paths.every((path) => typeof path === 'string' && path.startsWith(`${nodeDiskDir}/`) && !path.slice(nodeDiskDir.length + 1).includes('/') && !path.includes('..'));
  if (!ok) throw new UnexpectedOutputError('intent record', text, `not a provkit intent record with paths inside ${nodeDiskDir}`);
  return record as IntentRecord;
}

/** Where provkit keeps a node's lock and intent record. */
export function nodeStatePaths(nodeDiskDir: string, node: string): { lock: string; intent: string } {
  const directory = `${nodeDiskDir}/.provkit`;
  return { lock: `${directory}/${node}.lock`, intent: `${directory}/${node}.intent.json` };
}

/** Where provkit keeps an image's lock (a hidden directory of the library). */
export function imageLockPath(libraryDir: string, image: string): string {
  return `${libraryDir}/.provkit/${image}.lock`;
}
