import { parseArgs } from 'node:util';
import { buildFleetHosts, closeFleetHosts, FleetWorker, type FleetWorkerLogEvent } from '@provkit/fleet';
import { createOsModule, createProvisioner } from '../modules.ts';
import { fleetConfig, integerFlag, readConfigFile, redisUrl } from './fleet-context.ts';

/**
 * `provkit worker`: serves the hosts of the configuration file from the fleet's Redis until
 * SIGINT/SIGTERM, then shuts down gracefully within `--shutdown-timeout-ms`. Prints one
 * `ready` line once it serves, then one line per job event.
 */
export async function workerCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      redis: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      'lock-duration-ms': { type: 'string' },
      'stalled-interval-ms': { type: 'string' },
      'node-lease-ms': { type: 'string' },
      'shutdown-timeout-ms': { type: 'string' },
      'operations-log': { type: 'string' },
    },
  });
  const config = fleetConfig(readConfigFile(values.config, true))!;
  const connection = redisUrl(values.redis, config);
  const json = values.json ?? false;
  const shutdownTimeoutMs = integerFlag('shutdown-timeout-ms', values['shutdown-timeout-ms']) ?? 60_000;
  const numbers = {
    lockDurationMs: integerFlag('lock-duration-ms', values['lock-duration-ms']),
    stalledIntervalMs: integerFlag('stalled-interval-ms', values['stalled-interval-ms']),
    nodeLeaseMs: integerFlag('node-lease-ms', values['node-lease-ms']),
  };
  const hosts = await buildFleetHosts(config, { createProvisioner, createOsModule });
  const print = (event: FleetWorkerLogEvent): void => {
    process.stdout.write(json ? `${JSON.stringify(event)}\n` : `${event.kind} ${event.host}/${event.jobId}${event.operation ? ` ${event.operation}` : ''}${event.node ? ` ${event.node}` : ''}${event.detail ? ` (${event.detail})` : ''}\n`);
  };
  let worker: FleetWorker | undefined;
  try {
    worker = await FleetWorker.start({
      connection,
      hosts,
      ...(values.name ? { name: values.name } : {}),
      ...Object.fromEntries(Object.entries(numbers).filter(([, value]) => value !== undefined)),
      ...(values['operations-log'] ? { operationsLogPath: values['operations-log'] } : {}),
      onLog: print,
    });
    const ready = { ready: true, worker: worker.name, hosts: hosts.map((host) => host.name) };
    process.stdout.write(json ? `${JSON.stringify(ready)}\n` : `worker ${worker.name} serving ${ready.hosts.join(', ')}\n`);
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 0;
  } finally {
    await worker?.close({ timeoutMs: shutdownTimeoutMs });
    await closeFleetHosts(hosts);
  }
}
