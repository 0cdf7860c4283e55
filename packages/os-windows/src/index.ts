/**
 * `@provkit/os-windows`: the Windows OS module. It drives Windows Server 2019+ and Windows 10
 * 1809+ guests over their built-in OpenSSH server with PowerShell scripts sent as
 * `-EncodedCommand` (secrets on stdin), generalizes them with Sysprep and a generated
 * `unattend.xml`, and manages local users, firewall access and passwords.
 *
 * ```ts
 * import { Secret } from '@provkit/core';
 * import { SshPool, sshRunnerFactory } from '@provkit/runners';
 * import { WindowsOsModule } from '@provkit/os-windows';
 *
 * const adminPassword = process.env.WINDOWS_ADMIN_PASSWORD;
 * if (!adminPassword) throw new Error('WINDOWS_ADMIN_PASSWORD is not set'); // preCapture needs it
 * const pool = new SshPool();
 * const windows = new WindowsOsModule({
 *   runnerFor: sshRunnerFactory(pool, { username: 'Administrator', privateKeyPath: 'id_ed25519', hostKey: { kind: 'known-hosts', path: 'known_hosts' }, remoteShell: 'other' }),
 *   administratorPassword: Secret.of(adminPassword),
 *   unattend: { timeZone: 'W. Europe Standard Time' },
 * });
 * ```
 *
 * @packageDocumentation
 */
export {
  WindowsOsModule,
  WINDOWS_PRE_CAPTURE_OPERATIONS,
  GENERALIZED_IMAGE_STATE,
  type WindowsOsModuleOptions,
  type WindowsPreCaptureOperation,
} from './windows-os-module.ts';
export { psQuote, ps, psRaw, PsFragment, type PsValue } from './powershell/quote.ts';
export { encodeCommand, decodeCommand, POWERSHELL_PREFIX, MAX_COMMAND_LINE } from './powershell/encode-command.ts';
export { decodeClixml } from './powershell/clixml.ts';
export { buildUnattendXml, UNATTEND_NAMESPACE, WCM_NAMESPACE, type UnattendOptions, type RunSynchronousCommand } from './unattend/unattend-xml.ts';
export { encodeUnattendPassword, decodeUnattendPassword } from './unattend/unattend-password.ts';
export { formatCurrentImage } from './current-image-text.ts';
export { checkWindowsUsername, checkComputerName, checkWindowsPath, WINDOWS_USERNAME_PATTERN } from './windows-validators.ts';
export { createWindowsOsModule } from './create-windows-os-module.ts';
export { windowsOsModuleConfigSchema, type WindowsOsModuleConfig } from './windows-config-schema.ts';
