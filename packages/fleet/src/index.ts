/**
 * `@provkit/fleet`: provkit operations as durable jobs on BullMQ and Redis. A
 * {@link FleetClient} submits any provisioner or OS-module operation for a host and node and
 * follows it (progress, typed result or typed error, cancellation); {@link FleetWorker}s, any
 * number on any machines, run them with at most one operation per node at a time, and take
 * over the jobs of a worker that died.
 *
 * @packageDocumentation
 */
export { FleetClient, type FleetClientOptions } from './fleet-client.ts';
export { FleetJobHandle, type FleetResultOptions } from './fleet-job-handle.ts';
export { FleetWorker, type FleetWorkerCloseOptions, type FleetWorkerHost, type FleetWorkerLogEvent, type FleetWorkerOptions } from './fleet-worker.ts';
export {
  IMAGE_OPERATIONS,
  NODE_OPERATIONS,
  OS_OPERATIONS,
  PROVISIONER_OPERATIONS,
  isOsOperation,
  type FleetJobData,
  type FleetOperation,
  type FleetSubmission,
  type OsOperation,
  type ProvisionerOperation,
} from './fleet-operation.ts';
export type { FleetProgress, FleetResultOf, FleetResults } from './fleet-result.ts';
export { FleetJobLostError, FleetRemoteError, reconstructError, serializeError, type SerializedError } from './job-error.ts';
export { checkJobData, IDEMPOTENCY_KEY_PATTERN, jobDataFromSubmission, knownOperations } from './job-payload.ts';
export { buildFleetHosts, closeFleetHosts, fleetConfigFromConfig, fleetSectionSchema, type FleetConfig, type FleetHostConfig, type FleetModuleConfig, type FleetModuleFactories } from './fleet-config.ts';
export { fleetStatus, type FleetHostStatus, type FleetStatusOptions } from './fleet-status.ts';
export { DEFAULT_PREFIX, FleetKeys, hostOfQueue, queueName } from './fleet-keys.ts';
export { redisOptions, type RedisConnection } from './redis-connection.ts';
export type { HostModules } from './run-operation.ts';
export { startFleetDashboard, type FleetDashboard, type FleetDashboardOptions } from './fleet-dashboard.ts';
