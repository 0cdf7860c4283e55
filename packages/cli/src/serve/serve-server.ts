import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { AbortedError, createEmitter, InvalidInputError, Secret, type OsModuleV1, type ProgressEvent, type ProvisionerV1 } from '@provkit/core';
import { createJSONRPCErrorResponse, createJSONRPCNotification, createJSONRPCSuccessResponse, JSONRPCServer, type JSONRPCID, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import { loadConfig, nodeFromConfig, type CliConfig } from '../config.ts';
import { createOsModule, createProvisioner } from '../modules.ts';
import { paramsError, SERVE_ERROR_CODES, toRpcError } from './serve-errors.ts';
import { MissingOsModule, SERVE_METHODS, type CallContext, type NodeParam } from './serve-methods.ts';
import { CANCEL_METHOD, CANCEL_PARAMS, PROGRESS_METHOD, SCHEMA_METHOD, serveSchema } from './serve-schema.ts';

/** Options of {@link serve}. */
export interface ServeOptions {
  config: CliConfig;
  /** Where `module:` packages and `retrieveImage`'s `fromConfig` paths are found from. */
  cwd: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Logs and warnings (never the protocol). */
  log: NodeJS.WritableStream;
  /** Aborts every running request and stops, as a closed input does (SIGTERM). */
  signal?: AbortSignal;
  /** Bound on the wait for aborted requests to finish their clean-up once the input closed (default 120 s). */
  drainTimeoutMs?: number;
}

/** How {@link serve} ended. */
export interface ServeResult {
  /** True when every request settled within the drain bound. */
  drained: boolean;
}

/**
 * Serves both contracts as JSON-RPC 2.0, one message per line, until `input` closes: then it
 * aborts the requests still running (their clean-up runs), waits for them (bounded), closes
 * the modules and returns. The modules are built once, so their SSH connections stay warm
 * between requests.
 */
export async function serve(options: ServeOptions): Promise<ServeResult> {
  const { config, cwd } = options;
  const events = createEmitter();
  events.on('warning', (warning) => options.log.write(`${JSON.stringify({ warning })}\n`));
  const osModule: OsModuleV1 | undefined = config.os ? await createOsModule(config.os, { events }, cwd) : undefined;
  const provisioner: ProvisionerV1 = await createProvisioner(config.provisioner, { events, osModule }, cwd);

  // A killed client closes its read end too: writing then fails (EPIPE). That must not end the
  // server before the aborted operations have cleaned up; their answers just have nowhere to go.
  let outputGone = false;
  options.output.on('error', (error: NodeJS.ErrnoException) => {
    if (!outputGone) options.log.write(`${JSON.stringify({ warning: { message: `the client's end of stdout is gone (${error.code ?? error.message}); answers are dropped` } })}\n`);
    outputGone = true;
  });
  const write = (message: unknown): void => {
    if (!outputGone) options.output.write(`${JSON.stringify(message)}\n`);
  };
  const running = new Map<JSONRPCID, AbortController>();
  const settling = new Set<Promise<unknown>>();
  const server = new JSONRPCServer();

  const node = (param: NodeParam) => {
    if (typeof param === 'string') return nodeFromConfig(config, param);
    const { name, ...given } = param;
    return { ...nodeFromConfig(config, name), ...given };
  };

  for (const [name, spec] of SERVE_METHODS) {
    server.addMethodAdvanced(name, async (request: JSONRPCRequest): Promise<JSONRPCResponse | null> => {
      const id = request.id ?? null;
      const answer = (response: JSONRPCResponse) => (request.id === undefined ? null : response);
      const secrets: Secret[] = [];
      const parsed = spec.params.safeParse(request.params ?? {});
      if (!parsed.success) {
        const error = toRpcError(paramsError(parsed.error.issues), secrets);
        return answer(createJSONRPCErrorResponse(id, error.code, error.message, error.data));
      }
      if (id !== null && running.has(id)) {
        const error = toRpcError(new InvalidInputError('id', `request ${JSON.stringify(id)} is still running`), secrets);
        return answer(createJSONRPCErrorResponse(id, SERVE_ERROR_CODES.invalidRequest, error.message, error.data));
      }
      const controller = new AbortController();
      if (id !== null) running.set(id, controller);
      const context: CallContext = {
        provisioner,
        osModule,
        node,
        provisionerFrom: async (path) => createProvisioner(loadConfig(resolve(cwd, path)).provisioner, { events }, cwd),
        signal: controller.signal,
        onProgress: (event: ProgressEvent) => {
          if (id !== null) write(createJSONRPCNotification(PROGRESS_METHOD, { id, event }));
        },
        secret: (value) => {
          const secret = Secret.of(value);
          secrets.push(secret);
          return secret;
        },
      };
      try {
        return answer(createJSONRPCSuccessResponse(id, (await spec.call(parsed.data, context)) ?? null));
      } catch (caught) {
        if (caught instanceof MissingOsModule) {
          const message = `${name} needs an os section in the configuration`;
          return answer(createJSONRPCErrorResponse(id, SERVE_ERROR_CODES.noOsModule, message, { code: 'INVALID_INPUT', field: 'os', retryable: false, message }));
        }
        const error = toRpcError(caught, secrets);
        return answer(createJSONRPCErrorResponse(id, error.code, error.message, error.data));
      } finally {
        if (id !== null && running.get(id) === controller) running.delete(id);
      }
    });
  }
  server.addMethod(CANCEL_METHOD, (params: unknown) => {
    const parsed = CANCEL_PARAMS.safeParse(params);
    if (parsed.success) running.get(parsed.data.id)?.abort(new AbortedError(`request ${JSON.stringify(parsed.data.id)} cancelled by the client`));
    return null;
  });
  server.addMethod(SCHEMA_METHOD, () => serveSchema());

  const receive = (line: string): void => {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (error) {
      write(createJSONRPCErrorResponse(null, SERVE_ERROR_CODES.parseError, `Parse error: ${(error as Error).message}`));
      return;
    }
    const handled = Promise.resolve(server.receive(message as JSONRPCRequest)).then(
      (response) => {
        if (response) write(response);
      },
      (error: unknown) => options.log.write(`${JSON.stringify({ error: String(error) })}\n`),
    );
    settling.add(handled);
    void handled.finally(() => settling.delete(handled));
  };

  const lines = createInterface({ input: options.input, crlfDelay: Infinity });
  lines.on('line', receive);
  await new Promise<void>((resolve) => {
    lines.once('close', resolve);
    options.signal?.addEventListener('abort', () => lines.close(), { once: true });
  });

  // The client is gone (or we were told to stop): abort what runs so its clean-up happens now.
  for (const controller of running.values()) controller.abort(new AbortedError('the client closed the connection'));
  const bound = options.drainTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.allSettled([...settling]).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), bound);
    }),
  ]);
  clearTimeout(timer);
  if (!drained) options.log.write(`${JSON.stringify({ warning: { message: `${running.size} request(s) still running ${bound} ms after the client left; exiting anyway` } })}\n`);
  await Promise.allSettled([provisioner.close(), osModule?.close()]);
  return { drained };
}
