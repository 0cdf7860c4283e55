import type { Secret } from '@provkit/core';
import { WINDOWS_PRE_CAPTURE_OPERATIONS, type WindowsPreCaptureOperation } from '../windows-inputs.ts';
import { buildUnattendXml, type UnattendOptions } from './unattend-xml.ts';

const SSH_KEYGEN_COMMAND = 'cmd.exe /c if exist "%windir%\\System32\\OpenSSH\\ssh-keygen.exe" "%windir%\\System32\\OpenSSH\\ssh-keygen.exe" -A';

/** The module settings the answer file is made from. */
export interface AnswerFileSettings {
  readonly administratorPassword: Secret | undefined;
  readonly unattend: Omit<UnattendOptions, 'administratorPassword'>;
  /** Where the answer file is written; a specialize command deletes it there. */
  readonly unattendPath: string;
}

/** The configured answer-file settings plus this module's own specialize commands and the password. */
export function answerFileOptions(settings: AnswerFileSettings, operations: readonly WindowsPreCaptureOperation[] = WINDOWS_PRE_CAPTURE_OPERATIONS): UnattendOptions {
  const runSynchronous = [
    ...(settings.unattend.runSynchronous ?? []),
    // The original answer file would otherwise stay in every clone; Setup has cached it by now.
    { path: `cmd.exe /c del /f /q "${settings.unattendPath}"`, description: 'provkit: remove the answer file' },
  ];
  if (operations.includes('remove-ssh-host-keys')) {
    // sshd makes missing host keys when it starts; this makes sure of it before OOBE (-A only adds missing ones).
    runSynchronous.push({ path: SSH_KEYGEN_COMMAND, description: 'provkit: create this clone\'s SSH host keys' });
  }
  const options: UnattendOptions = { ...settings.unattend, runSynchronous };
  if (settings.administratorPassword) options.administratorPassword = settings.administratorPassword;
  return options;
}

/** The answer file for these settings and generalization steps (secret: it holds the encoded password). */
export function answerFileXml(settings: AnswerFileSettings, operations: readonly WindowsPreCaptureOperation[]): string {
  return buildUnattendXml(answerFileOptions(settings, operations));
}
