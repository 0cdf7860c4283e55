/**
 * An example orchestrator that embeds provkit the way a VCL-style reservation system would:
 * any `ProvisionerV1` plus any `OsModuleV1`, driven by reservations. See README.md.
 *
 * @packageDocumentation
 */
export { VclOrchestrator, type VclOrchestratorOptions, type ReservationRequest, type RequestOutcome } from './vcl-orchestrator.ts';
export type { Reservation, ReservationLogLine, StartOutcome } from './reservation.ts';
