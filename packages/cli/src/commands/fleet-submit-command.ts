import { parseArgs } from 'node:util';
import { InvalidInputError, ProvkitError, type NodeSpec } from '@provkit/core';
import { FleetClient, FleetRemoteError, knownOperations, type FleetOperation, type FleetSubmission } from '@provkit/fleet';
import { exitCodeFor, EXIT } from '../exit-codes.ts';
import { createOutput } from '../output.ts';
import { nodeFromConfig, type CliConfig } from '../config.ts';
import { fleetConfig, integerFlag, readConfigFile, redisUrl } from './fleet-context.ts';

/**
 * `provkit submit <operation> [--host H] [--node N] [--image I] [--options JSON] [--key K]
 * [--wait] [--json]`: enqueues any provisioner or OS-module operation for the fleet; with
 * `--wait`, shows its progress live and ends with its result or typed error.
 */
export async function submitCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      redis: { type: 'string' },
      host: { type: 'string' },
      node: { type: 'string' },
      address: { type: 'string' },
      image: { type: 'string' },
      options: { type: 'string' },
      key: { type: 'string' },
      attempts: { type: 'string' },
      wait: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const output = createOutput(values.json ?? false);
  const [operation] = positionals;
  if (!operation) throw new InvalidInputError('<operation>', `is required (one of ${knownOperations().join(', ')})`);
  const raw = readConfigFile(values.config, false);
  const config = fleetConfig(raw);
  const submission: FleetSubmission = { host: values.host ?? config?.hosts[0]?.name ?? 'default', operation: operation as FleetOperation };
  if (values.node) submission.node = nodeSpec(values.node, values.address, raw);
  if (values.image) submission.image = values.image;
  if (values.options) {
    try {
      submission.options = JSON.parse(values.options) as Record<string, unknown>;
    } catch (error) {
      throw new InvalidInputError('--options', `is not JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  if (values.key) submission.idempotencyKey = values.key;
  const attempts = integerFlag('attempts', values.attempts);
  if (attempts !== undefined) submission.attempts = attempts;
  const client = new FleetClient({ connection: redisUrl(values.redis, config) });
  try {
    const handle = await client.submit(submission);
    if (!values.wait) {
      output.result({ host: handle.host, jobId: handle.id }, () => `${handle.host} ${handle.id}`);
      return EXIT.ok;
    }
    const stop = handle.onProgress(({ event, attempt }) => {
      if (output.json) process.stderr.write(`${JSON.stringify({ progress: event, attempt })}\n`);
      else process.stderr.write(`[${(event.elapsedMs / 1000).toFixed(1).padStart(6)}s] ${event.operation}${event.node ? ` ${event.node}` : ''}: ${event.step}${event.detail ? ` (${event.detail})` : ''}\n`);
    });
    try {
      const timeoutMs = integerFlag('timeout-ms', values['timeout-ms']);
      const result = await handle.result({ signal, timeoutMs });
      output.result({ host: handle.host, jobId: handle.id, result }, () => `${handle.host} ${handle.id} done${result === null ? '' : `: ${JSON.stringify(result)}`}`);
      return EXIT.ok;
    } catch (error) {
      // instanceof: no code marks a rebuilt remote error, and `client` is this module's own FleetClient.
      if (error instanceof FleetRemoteError && output.json) {
        // The remote error's facts beyond the shared output's code/message/retryable.
        const remote = error as FleetRemoteError;
        const cause = ProvkitError.isInstance(remote.cause) ? { code: remote.cause.code, message: remote.cause.message } : undefined;
        output.result(
          { host: handle.host, jobId: handle.id, error: { code: remote.code, message: remote.message, retryable: remote.isRetryable, step: remote.step, operation: remote.operation, remoteName: remote.remoteName, ...(cause ? { cause } : {}) } },
          () => '',
        );
      } else {
        output.error(error);
      }
      return exitCodeFor(error);
    } finally {
      stop();
    }
  } finally {
    await client.close();
  }
}

/** The node with what the configuration's `nodes:` says about it, `--address` overriding. */
function nodeSpec(name: string, address: string | undefined, raw: unknown): NodeSpec {
  const nodes = (raw as { nodes?: CliConfig['nodes'] } | undefined)?.nodes ?? {};
  return nodeFromConfig({ nodes }, name, address);
}
