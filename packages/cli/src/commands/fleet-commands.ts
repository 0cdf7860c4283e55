import { fleetCommand } from './fleet-status-command.ts';
import { submitCommand } from './fleet-submit-command.ts';
import { workerCommand } from './fleet-worker-command.ts';

/** The fleet's commands; each parses its own flags (they differ from the node commands'). */
export const fleetCommands: Record<string, (argv: string[], signal: AbortSignal) => Promise<number>> = {
  worker: workerCommand,
  submit: submitCommand,
  fleet: fleetCommand,
};

/** Their lines of `provkit --help`. */
export const FLEET_USAGE = `  worker [--redis URL] [--operations-log F]   run a fleet worker for the configured hosts
  submit <operation> [--host H] [--node N] [--image I] [--options JSON] [--key K] [--wait]
                                       enqueue any operation for the fleet (Redis, BullMQ)
  fleet status | fleet cancel --host H <job id> | fleet dashboard [--port P]
                                       queues, jobs and workers; cancel; Bull Board (read-only)`;
