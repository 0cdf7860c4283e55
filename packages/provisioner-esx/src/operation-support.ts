import { ConflictError } from '@provkit/core';
import type { EsxNodeFacts } from './esx-driver.ts';

/** Bound on the calls that undo a failed operation (they run even after an abort). */
export const CLEANUP_TIMEOUT_MS = 300_000;

/** The call options of an operation: its signal, when it has one. */
export function signalOf(options: { signal?: AbortSignal | undefined }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

/** The error for a node whose load runs in another operation (retryable: it ends, or its lease passes). */
export function busy(name: string, facts: EsxNodeFacts): ConflictError {
  return new ConflictError(`node ${name} is being loaded by another operation (${facts.operation?.id ?? 'unrecorded'} of ${facts.operation?.owner ?? 'an unknown orchestrator'}); retry once it ended`);
}
