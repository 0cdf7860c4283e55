import { checkOptionalObject, checkOptionalTimeoutMs, InvalidInputError, Secret } from '@provkit/core';
import { answerFileOptions } from '../unattend/answer-file.ts';
import { checkUnattendOptions, type UnattendOptions } from '../unattend/unattend-xml.ts';
import type { WindowsOsModuleOptions } from '../windows-os-module-options.ts';
import { checkCmdSafeWindowsPath, checkWindowsPassword, checkWindowsPath } from '../windows-validators.ts';

/** The module's options checked and with their defaults, as the per-concept functions read them. */
export interface WindowsSettings {
  readonly administratorPassword: Secret | undefined;
  readonly unattend: Omit<UnattendOptions, 'administratorPassword'>;
  readonly sysprepVmMode: boolean;
  readonly currentImagePath: string;
  readonly unattendPath: string;
  readonly commandTimeoutMs: number;
  readonly sysprepTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly shutdownDelaySeconds: number;
  readonly pollDelay: { initial?: number; max?: number };
}

/** Checks the options (password, paths, bounds, answer-file settings), naming the field, and applies the defaults. */
export function windowsSettings(options: WindowsOsModuleOptions): WindowsSettings {
  if (options.administratorPassword) {
    if (!Secret.isSecret(options.administratorPassword)) throw new InvalidInputError('administratorPassword', 'must be a Secret');
    checkWindowsPassword('administratorPassword', options.administratorPassword.reveal());
    // An empty one would pass for "configured" and give every clone a blank Administrator password.
    if (options.administratorPassword.reveal() === '') throw new InvalidInputError('administratorPassword', 'must not be empty (leave it unset to be refused at preCapture, or allow unattend.promptForAdministratorPassword)');
  }
  const currentImagePath = checkWindowsPath('currentImagePath', options.currentImagePath ?? 'C:\\ProgramData\\provkit\\currentimage.txt');
  // It goes into the answer file's cmd.exe clean-up step too.
  const unattendPath = checkCmdSafeWindowsPath('unattendPath', options.unattendPath ?? 'C:\\Windows\\Temp\\provkit-unattend.xml');
  const unattend = checkOptionalObject('unattend', options.unattend) ?? {};
  // Checked as given, before this module adds its own steps to the list.
  checkUnattendOptions(unattend);
  const settings: WindowsSettings = {
    administratorPassword: options.administratorPassword,
    unattend,
    sysprepVmMode: options.sysprepVmMode ?? false,
    currentImagePath,
    unattendPath,
    commandTimeoutMs: checkOptionalTimeoutMs('commandTimeoutMs', options.commandTimeoutMs, { min: 1 }) ?? 120_000,
    sysprepTimeoutMs: checkOptionalTimeoutMs('sysprepTimeoutMs', options.sysprepTimeoutMs, { min: 1 }) ?? 30 * 60_000,
    waitTimeoutMs: checkOptionalTimeoutMs('waitTimeoutMs', options.waitTimeoutMs, { min: 1 }) ?? 10 * 60_000,
    shutdownDelaySeconds: options.shutdownDelaySeconds ?? 3,
    pollDelay: options.pollDelayMs ?? {},
  };
  // Refuse a bad answer-file setting now rather than at capture time. A missing password is
  // refused by preCapture only: the module is still useful for users, access and power.
  checkUnattendOptions(answerFileOptions(settings));
  return settings;
}
