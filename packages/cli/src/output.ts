import type { ProgressEvent, ProvkitEmitter } from '@provkit/core';
import { ProvkitError } from '@provkit/core';

/** Where the command writes: human lines on a terminal, or JSON for scripts. */
export interface Output {
  readonly json: boolean;
  /** Prints the command's result (a table or a JSON document). */
  result(value: unknown, human: () => string): void;
  /** Prints a failure. */
  error(error: unknown): void;
  /** Shows progress events of `emitter` while the command runs. */
  follow(emitter: ProvkitEmitter): () => void;
}

/** Makes the output for `--json` or a terminal. */
export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result(value, human) {
      stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    error(error) {
      const described = ProvkitError.isInstance(error)
        ? { code: error.code, message: error.message, retryable: error.isRetryable }
        : { code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error), retryable: false };
      if (json) stdout.write(`${JSON.stringify({ error: described }, null, 2)}\n`);
      else stderr.write(`provkit: ${described.message} [${described.code}]\n`);
    },
    follow(emitter) {
      const onProgress = (event: ProgressEvent): void => {
        // In JSON mode progress goes to stderr as JSON lines, so stdout stays one document.
        if (json) stderr.write(`${JSON.stringify({ progress: event })}\n`);
        else stderr.write(`[${(event.elapsedMs / 1000).toFixed(1).padStart(6)}s] ${event.operation}${event.node ? ` ${event.node}` : ''}: ${event.step}${event.detail ? ` (${event.detail})` : ''}\n`);
      };
      const onWarning = (warning: { message: string }): void => {
        stderr.write(json ? `${JSON.stringify({ warning })}\n` : `warning: ${warning.message}\n`);
      };
      emitter.on('progress', onProgress);
      emitter.on('warning', onWarning);
      return () => {
        emitter.off('progress', onProgress);
        emitter.off('warning', onWarning);
      };
    },
  };
}
