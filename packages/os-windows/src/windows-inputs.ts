import {
  checkCustomizationShape,
  checkStringArray,
  checkIpAddress,
  checkPort,
  checkSshPublicKey,
  InvalidInputError,
  randomPassword,
  Secret,
  UnsupportedFunctionalityError,
  type Customization,
  describeValue,
} from '@provkit/core';
import { checkArgv, checkComputerName, checkWindowsPassword, checkWindowsUsername } from './windows-validators.ts';

/** The generalization steps of `preCapture`, in the order they run (VCL's Windows pre_capture). */
export const WINDOWS_PRE_CAPTURE_OPERATIONS = [
  'logoff-users',
  'delete-reservation-users',
  'reset-administrator-password',
  'delete-temp-files',
  'disable-hibernation',
  'remove-ssh-host-keys',
] as const;

/** One generalization step name. */
export type WindowsPreCaptureOperation = (typeof WINDOWS_PRE_CAPTURE_OPERATIONS)[number];

/** The requested generalization steps in run order; unknown names are refused. */
export function selectOperations(requested: readonly string[] | undefined): WindowsPreCaptureOperation[] {
  if (requested === undefined) return [...WINDOWS_PRE_CAPTURE_OPERATIONS];
  for (const name of checkStringArray('operations', requested)) {
    if (!(WINDOWS_PRE_CAPTURE_OPERATIONS as readonly string[]).includes(name)) {
      throw new InvalidInputError('operations', `${describeValue(name)} is not one of ${WINDOWS_PRE_CAPTURE_OPERATIONS.join(', ')}`);
    }
  }
  return WINDOWS_PRE_CAPTURE_OPERATIONS.filter((name) => requested.includes(name));
}

/** Checks a user to create; keys for non-administrators are unsupported (see below). */
export function checkWindowsUser(prefix: string, user: { username: string; password?: Secret; sshPublicKeys?: readonly string[]; admin?: boolean }) {
  checkWindowsUsername(`${prefix}username`, user.username);
  if (user.password !== undefined) {
    if (!Secret.isSecret(user.password)) throw new InvalidInputError(`${prefix}password`, 'must be a Secret');
    checkWindowsPassword(`${prefix}password`, user.password.reveal());
  }
  if (user.sshPublicKeys !== undefined) checkStringArray(`${prefix}sshPublicKeys`, user.sshPublicKeys, (field, key) => checkSshPublicKey(field, key));
  if (user.admin !== undefined && typeof user.admin !== 'boolean') throw new InvalidInputError(`${prefix}admin`, 'expected true or false');
  if (user.sshPublicKeys && user.sshPublicKeys.length > 0 && !user.admin) {
    // OpenSSH on Windows reads a non-administrator's keys from a profile that exists only after the first logon.
    throw new UnsupportedFunctionalityError('sshPublicKeys for non-administrator users', 'the windows OS module');
  }
  return user;
}

/** Checks every part of a load customization before anything runs. */
export function checkWindowsCustomization(customization: Customization | undefined): Customization {
  if (customization === undefined) return {};
  // The shape every OS module checks (types, Secrets, lists), then Windows' own rules.
  checkCustomizationShape(customization);
  if (customization.hostname !== undefined) checkComputerName('customization.hostname', customization.hostname);
  customization.users?.forEach((user, index) => checkWindowsUser(`customization.users[${index}].`, user));
  customization.sshAuthorizedKeys?.forEach((key, index) => checkSshPublicKey(`customization.sshAuthorizedKeys[${index}]`, key));
  if (customization.firstBootCommand) checkArgv('customization.firstBootCommand', customization.firstBootCommand);
  return customization;
}

/** A random password that meets Windows' default complexity rule (upper, lower and digit). */
export function complexPassword(): Secret {
  for (let attempt = 0; attempt < 32; attempt++) {
    const candidate = randomPassword(20);
    const value = candidate.reveal();
    if (/[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value)) return candidate;
  }
  throw new InvalidInputError('password', 'could not generate a complex password');
}
