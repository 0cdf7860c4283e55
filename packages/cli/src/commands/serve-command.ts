import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfigPath, loadConfig } from '../config.ts';
import { EXIT } from '../exit-codes.ts';
import { serveSchema } from '../serve/serve-schema.ts';
import { serve } from '../serve/serve-server.ts';
import { parseWholeNumber } from '../units.ts';

/** `provkit serve`'s usage line. */
export const SERVE_USAGE = `server (for orchestrators in any language; see docs/serve.md):
  serve [--config FILE] [--drain-timeout MS]  JSON-RPC 2.0 over stdio, one message per line, until stdin closes
  serve --schema                            print the protocol's methods and errors (JSON Schema)`;

/**
 * `provkit serve`: every operation of both contracts as JSON-RPC 2.0 methods over stdin and
 * stdout, with the modules the configuration file describes, built once. Exits when stdin
 * closes, after the requests it aborted have cleaned up (bounded by `--drain-timeout`).
 */
export async function serveCommand(argv: string[], signal: AbortSignal, cwd: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { config: { type: 'string' }, 'drain-timeout': { type: 'string' }, schema: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  if (values.schema) {
    process.stdout.write(`${JSON.stringify(serveSchema(), null, 2)}\n`);
    return EXIT.ok;
  }
  const drainTimeoutMs = values['drain-timeout'] === undefined ? undefined : parseWholeNumber('--drain-timeout', values['drain-timeout']);
  const config = loadConfig(resolve(cwd, values.config ?? defaultConfigPath()));
  const { drained } = await serve({ config, cwd, input: process.stdin, output: process.stdout, log: process.stderr, signal, ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }) });
  return drained ? EXIT.ok : EXIT.failure;
}
