import type { Secret } from '../../../secret/index.ts';

/** A user to create on the node during `postLoad`. */
export interface UserSpec {
  username: string;
  password?: Secret;
  sshPublicKeys?: readonly string[];
  /** Member of the administrators (sudo / Administrators). */
  admin?: boolean;
}

/**
 * Per-node changes applied at load (D-Grid's "configure VM"): the generic image becomes this
 * node, then an optional first-boot command runs (configuration management), then the node
 * reports done.
 */
export interface Customization {
  hostname?: string;
  users?: readonly UserSpec[];
  /** Keys added to the administrator's (root's) authorized keys. */
  sshAuthorizedKeys?: readonly string[];
  /** Runs once after the other changes, through the OS module's shell, e.g. a puppet or ansible pull. */
  firstBootCommand?: readonly string[];
}
