import type { NodeSpec, ProvkitEmitter, Secret } from '@provkit/core';
import type { CommandRunner, RunnerFactory } from '@provkit/runners';
import type { UnattendOptions } from './unattend/unattend-xml.ts';

/** Options of {@link WindowsOsModule}. */
export interface WindowsOsModuleOptions {
  /** The runner that reaches a node's OpenSSH server, e.g. `@provkit/runners`' `sshRunnerFactory(pool, {..., remoteShell: 'other'})`. */
  runnerFor: RunnerFactory;
  /**
   * Password the built-in Administrator gets before capture and after OOBE on every clone
   * (encoded in the answer file's UserAccounts/AdministratorPassword).
   *
   * `preCapture` refuses to run without it (an `InvalidInputError` naming `administratorPassword`,
   * before any command), because OOBE would then stop on every clone to ask for one (Windows
   * Server always does) and the image would never finish booting unattended. To capture an
   * image that may prompt anyway (client editions whose accounts are made otherwise, images
   * finished by hand), set `unattend.promptForAdministratorPassword: true`; the password is then
   * left alone and the answer file sets none.
   */
  administratorPassword?: Secret | undefined;
  /**
   * Settings of the generated `unattend.xml` (the password comes from `administratorPassword`;
   * `promptForAdministratorPassword: true` together with it is refused by the constructor).
   */
  unattend?: Omit<UnattendOptions, 'administratorPassword'> | undefined;
  /** Run Sysprep with `/mode:vm` (clones run on the same hypervisor; skips hardware detection). Default false. */
  sysprepVmMode?: boolean;
  /** Where VCL's `currentimage.txt` lives (default `C:\ProgramData\provkit\currentimage.txt`). */
  currentImagePath?: string;
  /** Where the answer file is written before Sysprep (default `C:\Windows\Temp\provkit-unattend.xml`); specialize deletes it. */
  unattendPath?: string;
  /** Bound on one command (default 120 s). */
  commandTimeoutMs?: number;
  /** Bound on Sysprep, from start to the end state (default 30 min). */
  sysprepTimeoutMs?: number;
  /** Default bound of `waitForResponse`, `shutdown` and `reboot` (default 10 min). */
  waitTimeoutMs?: number;
  /** Seconds `shutdown.exe` waits before acting, so the command returns first (default 3). */
  shutdownDelaySeconds?: number;
  /** Backoff of the bounded waits: first delay between polls and its cap (default 250 ms / 2 s; Sysprep 1 s / 10 s). */
  pollDelayMs?: { initial?: number; max?: number };
  events?: ProvkitEmitter | undefined;
  /** Called by `close()`, e.g. to close an `SshPool` made for this module alone. */
  onClose?: () => Promise<void> | void;
}
