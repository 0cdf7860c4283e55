import type { EndState, Secret, ShellFragment } from '@provkit/core';
import type { FirewallKind } from '../firewall/firewall-script.ts';

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
  /** The firewall `access-grants` revokes with (the module's `firewall`; default `auto`: detected). */
  firewall?: 'auto' | FirewallKind;
  /** The module's `managementAddresses`, handed to the firewall scripts as in `grantAccess`. */
  managementAddresses?: readonly string[];
  /**
   * The end state `preCapture` leaves the guest in: with `on`, `ssh-hostkeys` replaces the host
   * keys rather than removing them, so the guest keeps accepting SSH connections.
   */
  endState?: EndState;
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
  /** Where the step comes from (`provkit`: undoes something provkit itself did, e.g. access grants). */
  readonly origin: 'virt-sysprep' | 'vcl' | 'provkit';
  readonly description: string;
  /** Whether the step runs when no list is given (some need configuration, e.g. a password). */
  readonly defaultEnabled: boolean | ((context: OperationContext) => boolean);
  build(context: OperationContext): OperationScript;
  /**
   * For a step that has to look before it acts: `build`'s script then only reads the guest
   * (reporting no change), and this turns that script's standard output into the script that
   * makes the changes. It may throw (e.g. an unsupported firewall), which fails the step.
   */
  followUp?(stdout: string, context: OperationContext): OperationScript;
}
