import { ProvkitError, randomPassword, type OsModuleV1, type ProgressEvent, type ProvisionerV1, type Secret } from '@provkit/core';
import type { Reservation, ReservationLogLine, StartOutcome } from './reservation.ts';

/** What the orchestrator embeds: any provisioner and any OS module. */
export interface VclOrchestratorOptions {
  provisioner: ProvisionerV1;
  osModule: OsModuleV1;
  /** Receives every log line; none carries a secret. */
  log?: (line: ReservationLogLine) => void;
}

/** One item of work for {@link VclOrchestrator.run}: a reservation starts or ends. */
export interface ReservationRequest {
  kind: 'start' | 'end';
  reservation: Reservation;
}

/** What {@link VclOrchestrator.run} reports per request. */
export type RequestOutcome = { request: ReservationRequest; start?: StartOutcome; error?: unknown };

/**
 * A VCL-style reservation daemon in miniature: what `vcld`'s `new.pm`, `reserved.pm` and
 * `reclaim.pm` do with a provisioning module and an OS module, here with a provkit
 * `ProvisionerV1` and `OsModuleV1`. It decides from data (`nodeStatus`, capabilities) and
 * never waits by itself: every wait is inside provkit, bounded.
 */
export class VclOrchestrator {
  readonly #provisioner: ProvisionerV1;
  readonly #osModule: OsModuleV1;
  readonly #log: (line: ReservationLogLine) => void;

  constructor(options: VclOrchestratorOptions) {
    this.#provisioner = options.provisioner;
    this.#osModule = options.osModule;
    this.#log = options.log ?? (() => {});
  }

  /**
   * Starts a reservation: `nodeStatus`, then `load` if it says reload or `postLoad` if it says
   * post-load, then the user's account and firewall opening. A failure is an outcome, not a
   * throw, as a daemon must go on with the next reservation.
   */
  async start(reservation: Reservation, options: { signal?: AbortSignal } = {}): Promise<StartOutcome> {
    const { node, image, username } = reservation;
    const { signal } = options;
    const os = this.#osModule;
    const started = Date.now();
    const log = this.#logger(reservation);
    // VCL's load log: the load's own steps by name, the OS module's sub-steps as `postLoad:<step>`.
    const onProgress = (event: ProgressEvent): void => log(event.operation === 'load' ? event.step : `${event.operation}:${event.step}`, event.detail ?? '');
    let step = 'node-status';
    try {
      // The OS module goes with every call, nodeStatus included: the provisioner needs none of its own.
      const status = await this.#provisioner.nodeStatus({ node, image, osModule: os, signal });
      log('node-status', `${status.status}: ${status.detail}`);
      if (status.status === 'reload') {
        step = 'load';
        // As VCL's load: a node provkit manages is replaced, whatever it ran (the default ifExists).
        await this.#provisioner.load({ node, image, osModule: os, signal, onProgress });
      } else if (status.status === 'post-load') {
        step = 'post-load';
        await os.postLoad({ node, image, signal, onProgress });
        log('post-load-done', 'post-load ran on the loaded node');
      }
      let password: Secret | undefined;
      step = 'create-user';
      if (os.capabilities.users) {
        password = randomPassword();
        await os.createUser({ node, username, password, sshPublicKeys: reservation.sshPublicKeys ?? [], signal });
        log('user-created', username);
      } else {
        log('user-skipped', `the ${os.os} OS module manages no users`);
      }
      step = 'grant-access';
      if (os.capabilities.firewall) {
        await os.grantAccess({ node, remoteIp: reservation.remoteIp, ports: reservation.ports, signal });
        log('access-granted', `ports ${reservation.ports.join(',')} to ${reservation.remoteIp}`);
      } else {
        log('access-skipped', `the ${os.os} OS module has no firewall`);
      }
      return { state: 'ready', nodeStatus: status.status, ...(password && { password }), durationMs: Date.now() - started };
    } catch (error) {
      const failedStep = ProvkitError.hasCode(error, 'OPERATION_FAILED') ? (error.step ?? step) : step;
      log('failed', `${failedStep}: ${ProvkitError.isInstance(error) ? `${error.code} ` : ''}${error instanceof Error ? error.message : String(error)}`);
      return { state: 'failed', step: failedStep, error, durationMs: Date.now() - started };
    }
  }

  /** VCL's sanitize: the user's firewall opening and account go; the node stays loaded. */
  async sanitize(reservation: Reservation, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { node } = reservation;
    const log = this.#logger(reservation);
    if (this.#osModule.capabilities.firewall) {
      await this.#osModule.revokeAccess({ node, remoteIp: reservation.remoteIp, ports: reservation.ports, signal: options.signal });
      log('access-revoked', reservation.remoteIp);
    }
    if (this.#osModule.capabilities.users) {
      await this.#osModule.deleteUser({ node, username: reservation.username, signal: options.signal });
      log('user-deleted', reservation.username);
    }
  }

  /** Ends a reservation: sanitize, then give the node back to the host (VCL's reclaim, plus provkit's unload). */
  async end(reservation: Reservation, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.sanitize(reservation, options);
    await this.#provisioner.unload({ node: reservation.node, signal: options.signal });
    this.#logger(reservation)('unloaded', reservation.node.name);
  }

  /** The reservation loop: handles requests one by one, as they arrive, and reports each. */
  async *run(requests: AsyncIterable<ReservationRequest> | Iterable<ReservationRequest>, options: { signal?: AbortSignal } = {}): AsyncGenerator<RequestOutcome> {
    for await (const request of requests) {
      if (request.kind === 'start') {
        yield { request, start: await this.start(request.reservation, options) };
      } else {
        yield await this.end(request.reservation, options).then(
          () => ({ request }),
          (error: unknown) => ({ request, error }),
        );
      }
    }
  }

  #logger(reservation: Reservation): (step: string, detail: string) => void {
    return (step, detail) => this.#log({ reservation: reservation.id, step, detail, at: new Date() });
  }
}
