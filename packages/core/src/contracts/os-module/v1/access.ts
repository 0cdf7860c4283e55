import type { Secret } from '../../../secret/index.ts';
import type { NodeOperationOptions } from '../../shared/v1/node.ts';
import type { UserSpec } from '../../shared/v1/customization.ts';

/** Options of `createUser`. */
export interface CreateUserOptions extends NodeOperationOptions, UserSpec {}

/** Options of `deleteUser`. */
export interface DeleteUserOptions extends NodeOperationOptions {
  username: string;
  /** Also remove the home directory and mail spool (default true). */
  removeHome?: boolean;
}

/** Options of `setPassword`. */
export interface SetPasswordOptions extends NodeOperationOptions {
  username: string;
  password: Secret;
}

/** Result of `randomizeAdminPasswords`: the new password per account. */
export interface RandomizedPasswords {
  passwords: Record<string, Secret>;
}

/** Options of `grantAccess` / `revokeAccess`. */
export interface AccessOptions extends NodeOperationOptions {
  /** The user's address; only it may connect. */
  remoteIp: string;
  /** TCP ports to open to it (e.g. 22, 3389). */
  ports: readonly number[];
}
