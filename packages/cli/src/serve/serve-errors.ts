import { InvalidInputError, PROVKIT_ERROR_CODES, ProvkitError, redact, type Secret } from '@provkit/core';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import type { z } from 'zod';

/**
 * JSON-RPC error codes `provkit serve` answers with. The standard ones keep their meaning;
 * every provkit failure is `provkitError` (or `invalidParams` for INVALID_INPUT, which is
 * bad parameters), with provkit's own code in `error.data.code`.
 */
export const SERVE_ERROR_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** A provkit error other than INVALID_INPUT: `data.code` says which. */
  provkitError: -32000,
  /** An `os.*` method, but the configuration has no `os` section. */
  noOsModule: -32001,
} as const;

/** `error.data` of every error `provkit serve` sends for a call that reached an operation. */
export interface ServeErrorData {
  /** One of core's PROVKIT_ERROR_CODES (`UNEXPECTED` for a failure that is not a provkit error). */
  code: (typeof PROVKIT_ERROR_CODES)[number];
  /** For OPERATION_FAILED: the step the operation failed at. */
  step?: string;
  /** For OPERATION_FAILED: the code of what made the step fail. */
  reasonCode?: string;
  /** For INVALID_INPUT: the refused field. */
  field?: string;
  retryable: boolean;
  /** The message, with every secret of the request redacted. */
  message: string;
}

/** Turns what an operation threw into the JSON-RPC error sent back, with no secret of the request in it. */
export function toRpcError(error: unknown, secrets: readonly Secret[]): JSONRPCErrorException {
  if (!ProvkitError.isInstance(error)) {
    const message = redact(error instanceof Error ? error.message : String(error), secrets);
    return new JSONRPCErrorException(message, SERVE_ERROR_CODES.internalError, { code: 'UNEXPECTED', retryable: false, message } satisfies ServeErrorData);
  }
  const message = redact(error.message, secrets);
  const data: ServeErrorData = { code: error.code, retryable: error.isRetryable, message };
  const step = (error as { step?: unknown }).step;
  if (typeof step === 'string') data.step = step;
  const reason = ProvkitError.reasonCode(error);
  if (reason && reason !== error.code) data.reasonCode = reason;
  const field = (error as { field?: unknown }).field;
  if (typeof field === 'string') data.field = field;
  return new JSONRPCErrorException(message, error.code === 'INVALID_INPUT' ? SERVE_ERROR_CODES.invalidParams : SERVE_ERROR_CODES.provkitError, data);
}

/** The first problem zod found in a method's parameters, as the InvalidInputError naming its field (`params.node.name`). */
export function paramsError(issues: readonly z.core.$ZodIssue[]): InvalidInputError {
  const issue = issues[0];
  const field = ['params', ...(issue?.path ?? []).map(String)].join('.');
  return new InvalidInputError(field, issue?.message ?? 'not accepted');
}
