import type { NodeSpec, NodeStatusValue, Secret } from '@provkit/core';

/** One reservation, as VCL's `reservation` + `request` rows describe it. */
export interface Reservation {
  /** VCL's reservation id; only for the log. */
  id: number;
  /** The computer assigned to the reservation. */
  node: NodeSpec;
  /** The image revision the user asked for, `<name>-v<rev>`. */
  image: string;
  /** The user's login on the node. */
  username: string;
  /** Keys the user logs in with; a random password is made when the OS module manages users. */
  sshPublicKeys?: readonly string[];
  /** The address the user connects from; only it is let in. */
  remoteIp: string;
  /** Ports to open to `remoteIp` (VCL's connect methods), e.g. `[22]`. */
  ports: readonly number[];
}

/** A line of the reservation log (VCL's `computerloadlog`). Never holds a secret. */
export interface ReservationLogLine {
  reservation: number;
  /** `nodeStatus`, a load step (`disk-prepared`, ...), `user-created`, `access-granted`, ... */
  step: string;
  detail: string;
  at: Date;
}

/** What starting a reservation came to. */
export type StartOutcome =
  | {
      state: 'ready';
      /** What `nodeStatus` said before anything was done. */
      nodeStatus: NodeStatusValue;
      /** The user's new password, to show them once; absent when the OS module manages no users. */
      password?: Secret;
      durationMs: number;
    }
  | {
      state: 'failed';
      /** The step that failed (a load step, `post-load`, `create-user`, `grant-access`). */
      step: string;
      error: unknown;
      durationMs: number;
    };
