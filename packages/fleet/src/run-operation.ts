import { InvalidInputError, UnsupportedFunctionalityError, type OsModuleV1, type ProvisionerV1, type Secret } from '@provkit/core';
import { isOsOperation, type FleetJobData } from './fleet-operation.ts';

/** One host's modules, as a worker built them from its configuration. */
export interface HostModules {
  /** The host's name in the configuration (the queue it serves). */
  name: string;
  provisioner: ProvisionerV1;
  osModule?: OsModuleV1;
  /** Secrets jobs may name by reference (`passwordRef: 'name'`), resolved in the worker. */
  secrets?: Readonly<Record<string, Secret>>;
}

/** What {@link runOperation} needs besides the job. */
export interface RunOperationContext {
  host: HostModules;
  /** Other hosts of this worker, for `retrieveImage`'s `fromHost`. */
  otherHost?: (name: string) => HostModules | undefined;
  signal: AbortSignal;
}

/**
 * Runs a validated fleet job on the host's modules and returns its JSON-safe result.
 * References (`passwordRef`) are resolved to the worker's secrets here, never earlier.
 */
export async function runOperation(data: FleetJobData, context: RunOperationContext): Promise<unknown> {
  const { host, signal } = context;
  const options = resolveReferences(data.options, host.secrets ?? {}, 'options') as Record<string, unknown>;
  const node = data.node;
  const osModule = host.osModule;
  if (isOsOperation(data.operation)) {
    if (!osModule) throw new UnsupportedFunctionalityError(`OS operation ${data.operation}`, `host ${host.name} (no os module configured)`);
    const method = osModule[data.operation] as (options: unknown) => Promise<unknown>;
    return json(await method.call(osModule, { ...options, node, signal }));
  }
  const provisioner = host.provisioner;
  const withOs = osModule ? { osModule } : {};
  switch (data.operation) {
    case 'load':
      return json(await provisioner.load({ ...options, ...withOs, node: node!, image: data.image!, signal }));
    case 'capture':
      return json(await provisioner.capture({ ...options, ...withOs, node: node!, image: data.image!, signal }));
    case 'nodeStatus':
      return json(await provisioner.nodeStatus({ ...options, ...withOs, node: node!, ...(data.image !== undefined ? { image: data.image } : {}), signal }));
    case 'unload':
    case 'powerOn':
    case 'powerReset':
      await provisioner[data.operation]({ ...options, node: node!, signal });
      return null;
    case 'powerOff':
      await provisioner.powerOff({ ...(options as { mode?: 'graceful' | 'hard' }), node: node!, signal });
      return null;
    case 'powerStatus':
    case 'getCurrentImage':
      return json((await provisioner[data.operation]({ ...options, node: node!, signal })) ?? null);
    case 'getImageSize':
    case 'doesImageExist':
    case 'deleteImage':
      return json(await provisioner[data.operation]({ ...options, image: data.image!, signal }));
    case 'listImages':
      return json(await provisioner.listImages({ ...options, signal }));
    case 'retrieveImage': {
      const { fromHost, ...rest } = options;
      const from = typeof fromHost === 'string' ? context.otherHost?.(fromHost) : undefined;
      if (!from) throw new InvalidInputError('options.fromHost', `${JSON.stringify(fromHost)} is not a host this worker serves`);
      await provisioner.retrieveImage({ ...rest, image: data.image!, from: from.provisioner, signal });
      return null;
    }
  }
}

/** `{ passwordRef: 'x' }` becomes `{ password: <the worker's secret x> }`, at any depth. */
function resolveReferences(value: unknown, secrets: Readonly<Record<string, Secret>>, field: string): unknown {
  if (Array.isArray(value)) return value.map((item, index) => resolveReferences(item, secrets, `${field}[${index}]`));
  if (typeof value !== 'object' || value === null) return value;
  const resolved: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.endsWith('Ref') && typeof item === 'string') {
      const secret = secrets[item];
      if (!secret) throw new InvalidInputError(`${field}.${key}`, `${JSON.stringify(item)} is not a secret in this worker's configuration`);
      resolved[key.slice(0, -'Ref'.length)] = secret;
    } else {
      resolved[key] = resolveReferences(item, secrets, `${field}.${key}`);
    }
  }
  return resolved;
}

/** A result as JSON (dates become strings), so what the client gets is what Redis holds. */
function json(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}
