import { parseArgs } from 'node:util';
import { InvalidInputError } from '@provkit/core';
import { FleetClient, fleetStatus, startFleetDashboard } from '@provkit/fleet';
import { EXIT } from '../exit-codes.ts';
import { createOutput } from '../output.ts';
import { fleetConfig, integerFlag, readConfigFile, redisUrl } from './fleet-context.ts';

/** `provkit fleet status|cancel|dashboard`: the fleet's queues, jobs and workers; cancelling a job; Bull Board until Ctrl-C. */
export async function fleetCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      redis: { type: 'string' },
      host: { type: 'string' },
      json: { type: 'boolean', default: false },
      port: { type: 'string' },
      listen: { type: 'string' },
    },
  });
  const output = createOutput(values.json ?? false);
  const [action, ...rest] = positionals;
  const config = fleetConfig(readConfigFile(values.config, false));
  const connection = redisUrl(values.redis, config);
  if (action === 'status') {
    const hosts = await fleetStatus({ connection });
    output.result({ hosts }, () =>
      hosts.length === 0
        ? 'no fleet hosts yet'
        : hosts
            .map((host) => {
              const counts = Object.entries(host.counts)
                .map(([state, count]) => `${state} ${count}`)
                .join(', ');
              const jobs = host.jobs.map((job) => `    ${job.id}  ${job.operation}${job.node ? ` ${job.node}` : ''}  ${job.state}${job.attempts ? ` (attempts ${job.attempts})` : ''}`);
              return [`${host.host}: ${counts}; concurrency ${host.concurrency ?? 'unlimited'}; workers ${host.workers.join(', ') || 'none'}`, ...jobs].join('\n');
            })
            .join('\n'),
    );
    return EXIT.ok;
  }
  if (action === 'cancel') {
    const [jobId] = rest;
    if (!jobId || !values.host) throw new InvalidInputError('fleet cancel', 'usage: provkit fleet cancel --host H <job id>');
    const client = new FleetClient({ connection });
    try {
      await client.cancel(values.host, jobId);
    } finally {
      await client.close();
    }
    output.result({ host: values.host, jobId, cancelled: true }, () => `cancel requested for ${values.host} ${jobId}`);
    return EXIT.ok;
  }
  if (action === 'dashboard') {
    const port = integerFlag('port', values.port);
    const dashboard = await startFleetDashboard({ connection, ...(port !== undefined ? { port } : {}), ...(values.listen ? { listen: values.listen } : {}) });
    try {
      output.result({ url: dashboard.url }, () => `fleet dashboard on ${dashboard.url} (Ctrl-C stops it)`);
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    } finally {
      await dashboard.close();
    }
    return EXIT.ok;
  }
  throw new InvalidInputError('fleet', 'usage: provkit fleet status | fleet cancel --host H <job id> | fleet dashboard [--port P] [--listen ADDRESS]');
}
