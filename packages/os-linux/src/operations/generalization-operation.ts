import type { Secret, ShellFragment } from '@provkit/core';

/** What a generalization operation's script may use. */
export interface OperationContext {
  /** The password `root-password` sets (from the module's `rootPassword`). */
  rootPassword?: Secret;
  /**
   * Keep `/root/.ssh/authorized_keys` in `ssh-userdir` (default true): the provisioner reaches
   * the next load of the image with that key.
   */
  keepRootAuthorizedKeys: boolean;
  /** The file listing the accounts provkit created for reservations. */
  reservationUsersFile: string;
}

/** A script ready to run on the guest. */
export interface OperationScript {
  script: ShellFragment;
  /** Standard input (a secret goes here, never into the script). */
  stdin?: Secret;
  /** Secrets to redact from anything the command prints. */
  secrets?: readonly Secret[];
}

/**
 * One named, individually selectable generalization step (virt-sysprep's operations and
 * VCL's pre-capture steps). Its script is idempotent, a no-op on a guest that lacks what it
 * cleans, and reports each change as `@provkit <verb> <object>`.
 */
export interface GeneralizationOperation {
  readonly name: string;
  /** Where the step comes from. */
  readonly origin: 'virt-sysprep' | 'vcl';
  readonly description: string;
  /** Whether the step runs when no list is given (some need configuration, e.g. a password). */
  readonly defaultEnabled: boolean | ((context: OperationContext) => boolean);
  build(context: OperationContext): OperationScript;
}
