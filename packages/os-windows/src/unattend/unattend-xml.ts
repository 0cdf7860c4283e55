import { checkObject, InvalidInputError, type Secret, describeValue } from '@provkit/core';
import { encodeUnattendPassword } from './unattend-password.ts';
import { el, renderXml, textEl, type XmlElement } from './xml-escape.ts';

/** The answer-file namespace. */
export const UNATTEND_NAMESPACE = 'urn:schemas-microsoft-com:unattend';
/** The namespace of `wcm:action` / `wcm:keyValue` list attributes. */
export const WCM_NAMESPACE = 'http://schemas.microsoft.com/WMIConfig/2002/State';
const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';
const PUBLIC_KEY_TOKEN = '31bf3856ad364e35';

/** A command Windows runs during the `specialize` pass (Microsoft-Windows-Deployment RunSynchronous). */
export interface RunSynchronousCommand {
  /** Full command line, at most 259 characters. */
  path: string;
  description?: string;
}

/** What goes into the generated `unattend.xml`. */
export interface UnattendOptions {
  /** Architecture of the components (default `amd64`). */
  processorArchitecture?: 'amd64' | 'arm64' | 'x86';
  /**
   * Keep drivers installed on the reference machine (PnpSysprep PersistAllDeviceInstalls).
   * Default true: clones run on the same virtual hardware.
   */
  persistAllDeviceInstalls?: boolean;
  /** Keep device entries of absent hardware (PnpSysprep DoNotCleanUpNonPresentDevices). Default true, like the above. */
  doNotCleanUpNonPresentDevices?: boolean;
  /** Do not reset the activation clock (Security-SPP SkipRearm). Default true, so an image can be captured many times. */
  skipRearm?: boolean;
  /** Computer name set in `specialize`; `*` (default) lets Windows pick a random one. */
  computerName?: string;
  /** Windows time zone ID, e.g. `W. Europe Standard Time` (default `UTC`). */
  timeZone?: string;
  /** Product key `XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`. */
  productKey?: string;
  /** Commands for `specialize`, run in order. */
  runSynchronous?: readonly RunSynchronousCommand[];
  /** OOBE network location (default `Work`). */
  networkLocation?: 'Home' | 'Work' | 'Other';
  /** OOBE ProtectYourPC: 1 recommended, 2 updates only, 3 none (default 3). */
  protectYourPC?: 1 | 2 | 3;
  /** Skip the local and online account pages of OOBE (default true), which would stop an unattended OOBE on client editions. */
  hideAccountScreens?: boolean;
  /**
   * Password of the built-in Administrator after OOBE (UserAccounts/AdministratorPassword),
   * encoded, never plain text. Required unless {@link UnattendOptions.promptForAdministratorPassword}
   * is true: without it Windows Server's OOBE stops and asks for one, so a clone never finishes
   * booting unattended.
   */
  administratorPassword?: Secret;
  /**
   * Allow an answer file without an Administrator password: OOBE on each clone may then stop
   * and ask for one (Windows Server always does). For client-edition images whose accounts are
   * made otherwise, or images someone finishes by hand. Default false; refused together with
   * `administratorPassword`, which would make it meaningless.
   */
  promptForAdministratorPassword?: boolean;
  /**
   * Folders with out-of-box drivers (`.inf` packages, searched with their subfolders), local or
   * UNC, that must exist on every clone when it boots.
   *
   * Installed by `pnputil.exe /add-driver "<folder>\*.inf" /subdirs /install`, one specialize
   * RunSynchronous command per folder, ahead of the other commands. Not by
   * Microsoft-Windows-PnpCustomizationsNonWinPE: its DriverPaths are read only in the
   * offlineServicing and auditSystem passes, which `sysprep /generalize /oobe` never runs.
   * `/install` stages each package into the driver store and installs it on matching devices
   * present now; devices that appear later find it in the store. Specialize commands run as
   * SYSTEM, so a UNC share must be readable by the computer account. `pnputil /add-driver`
   * needs Windows 10 1607 / Server 2016 or later (this module's targets are newer). It exits 259
   * when no device matched and 3010 when a restart is needed; Microsoft documents "other codes
   * terminate the installation" for WillReboot OnRequest only, so WillReboot stays at its
   * default, Never (Setup restarts after specialize anyway). That Setup goes on after such a
   * code with Never is what a real guest still has to confirm.
   */
  driverPaths?: readonly string[];
}

const DRIVER_COMMAND_PREFIX = 'pnputil.exe /add-driver "';
const DRIVER_COMMAND_SUFFIX = '\\*.inf" /subdirs /install';
const MAX_COMMAND = 259;

/** The specialize command that installs the drivers below one folder (see {@link UnattendOptions.driverPaths}). */
function driverInstallCommand(path: string): string {
  // `C:\` and `C:\Drivers\` would otherwise give a doubled separator before `*.inf`.
  return `${DRIVER_COMMAND_PREFIX}${path.replace(/\\+$/, '')}${DRIVER_COMMAND_SUFFIX}`;
}

function check(field: string, value: string, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new InvalidInputError(field, `${describeValue(value)} is not ${what}`);
  return value;
}

/**
 * Checks every setting of an answer file except that a password is present (which
 * {@link buildUnattendXml} also requires), throwing an `InvalidInputError` naming the field.
 */
export function checkUnattendOptions(options: UnattendOptions): void {
  if (options.computerName !== undefined && options.computerName !== '*') {
    check('unattend.computerName', options.computerName, /^(?![0-9]+$)[A-Za-z0-9-]{1,15}$/, 'a NetBIOS computer name (1-15 letters, digits, "-") or "*"');
  }
  if (options.timeZone !== undefined) check('unattend.timeZone', options.timeZone, /^[A-Za-z0-9][A-Za-z0-9 ().+_-]{0,63}$/, 'a Windows time zone ID');
  if (options.productKey !== undefined) check('unattend.productKey', options.productKey, /^([A-Z0-9]{5}-){4}[A-Z0-9]{5}$/, 'a product key XXXXX-XXXXX-XXXXX-XXXXX-XXXXX');
  if (options.runSynchronous !== undefined && !Array.isArray(options.runSynchronous)) throw new InvalidInputError('unattend.runSynchronous', 'expected an array of { path, description? } commands');
  if (options.driverPaths !== undefined && !Array.isArray(options.driverPaths)) throw new InvalidInputError('unattend.driverPaths', 'expected an array of paths');
  options.runSynchronous?.forEach((command, index) => {
    checkObject(`unattend.runSynchronous[${index}]`, command);
    if (typeof command.path !== 'string') throw new InvalidInputError(`unattend.runSynchronous[${index}].path`, 'expected a command line');
    check(`unattend.runSynchronous[${index}].path`, command.path, /^[^\r\n\0]{1,259}$/, 'a command line of 1-259 characters on one line');
    if (command.description !== undefined) check(`unattend.runSynchronous[${index}].description`, command.description, /^[^\r\n\0]{0,256}$/, 'a one-line description');
  });
  options.driverPaths?.forEach((path, index) => {
    const field = `unattend.driverPaths[${index}]`;
    if (typeof path !== 'string') throw new InvalidInputError(field, 'expected a path');
    // No "%": Setup expands environment variables in a RunSynchronous command line.
    check(field, path, /^(?:[A-Za-z]:\\|\\\\[^\\\r\n\0<>"|?*%/]+\\[^\\\r\n\0<>"|?*%/]+)[^\r\n\0<>"|?*%]*$/, 'an absolute local path (C:\\...) or UNC share path (\\\\server\\share...) without % < > " | ? *');
    const command = driverInstallCommand(path);
    if (command.length > MAX_COMMAND) throw new InvalidInputError(field, `is too long: its install command would be ${command.length} characters, RunSynchronous allows ${MAX_COMMAND}`);
  });
  if (options.promptForAdministratorPassword !== undefined && typeof options.promptForAdministratorPassword !== 'boolean') {
    throw new InvalidInputError('unattend.promptForAdministratorPassword', `${describeValue(options.promptForAdministratorPassword)} is not true or false`);
  }
  if (options.promptForAdministratorPassword === true && options.administratorPassword !== undefined) {
    throw new InvalidInputError('unattend.promptForAdministratorPassword', 'cannot be true while an Administrator password is configured: the answer file sets that password, so OOBE would not prompt');
  }
  if (options.protectYourPC !== undefined && ![1, 2, 3].includes(options.protectYourPC)) {
    throw new InvalidInputError('unattend.protectYourPC', `${String(options.protectYourPC)} is not 1, 2 or 3`);
  }
  if (options.networkLocation !== undefined && !['Home', 'Work', 'Other'].includes(options.networkLocation)) {
    throw new InvalidInputError('unattend.networkLocation', `${describeValue(options.networkLocation)} is not Home, Work or Other`);
  }
}

/**
 * Builds an answer file for `sysprep /generalize /oobe`:
 * - `generalize`: Microsoft-Windows-PnpSysprep (keep drivers) and Microsoft-Windows-Security-SPP (SkipRearm);
 * - `specialize`: Microsoft-Windows-Shell-Setup (ComputerName, TimeZone, ProductKey) and
 *   Microsoft-Windows-Deployment (RunSynchronous: first one `pnputil /add-driver` per driver
 *   path, then the given commands);
 * - `oobeSystem`: Microsoft-Windows-Shell-Setup (OOBE pages hidden, network location,
 *   Administrator password encoded with PlainText false).
 *
 * Nothing goes to offlineServicing or auditSystem: this flow never runs them (see
 * {@link UnattendOptions.driverPaths}). Without `administratorPassword` it throws unless
 * `promptForAdministratorPassword` is true. The text contains the (encoded) Administrator
 * password when one is given: treat it as secret.
 */
export function buildUnattendXml(options: UnattendOptions = {}): string {
  checkUnattendOptions(options);
  if (options.administratorPassword === undefined && options.promptForAdministratorPassword !== true) {
    throw new InvalidInputError(
      'unattend.administratorPassword',
      'is required: without it OOBE stops to ask for one (Windows Server always does); set promptForAdministratorPassword: true if the image may prompt',
    );
  }
  const architecture = options.processorArchitecture ?? 'amd64';
  const component = (name: string, children: XmlElement[]): XmlElement =>
    el(
      'component',
      [
        ['name', name],
        ['processorArchitecture', architecture],
        ['publicKeyToken', PUBLIC_KEY_TOKEN],
        ['language', 'neutral'],
        ['versionScope', 'nonSxS'],
        ['xmlns:wcm', WCM_NAMESPACE],
        ['xmlns:xsi', XSI_NAMESPACE],
      ],
      children,
    );
  const pass = (name: string, components: XmlElement[]): XmlElement => el('settings', [['pass', name]], components);
  const bool = (value: boolean): string => (value ? 'true' : 'false');

  const passes: XmlElement[] = [
    pass('generalize', [
      component('Microsoft-Windows-PnpSysprep', [
        textEl('PersistAllDeviceInstalls', bool(options.persistAllDeviceInstalls ?? true)),
        textEl('DoNotCleanUpNonPresentDevices', bool(options.doNotCleanUpNonPresentDevices ?? true)),
      ]),
      component('Microsoft-Windows-Security-SPP', [textEl('SkipRearm', (options.skipRearm ?? true) ? '1' : '0')]),
    ]),
  ];

  const shellSpecialize: XmlElement[] = [textEl('ComputerName', options.computerName ?? '*')];
  if (options.productKey !== undefined) shellSpecialize.push(textEl('ProductKey', options.productKey));
  shellSpecialize.push(textEl('TimeZone', options.timeZone ?? 'UTC'));
  const specialize: XmlElement[] = [component('Microsoft-Windows-Shell-Setup', shellSpecialize)];
  const runSynchronous: RunSynchronousCommand[] = [
    ...(options.driverPaths ?? []).map((path) => ({ path: driverInstallCommand(path), description: `provkit: install the drivers in ${path}` })),
    ...(options.runSynchronous ?? []),
  ];
  if (runSynchronous.length > 0) {
    const commands = runSynchronous.map((command, index) => {
      const children = [textEl('Order', String(index + 1)), textEl('Path', command.path)];
      if (command.description !== undefined) children.push(textEl('Description', command.description));
      return el('RunSynchronousCommand', [['wcm:action', 'add']], children);
    });
    specialize.push(component('Microsoft-Windows-Deployment', [el('RunSynchronous', [], commands)]));
  }
  passes.push(pass('specialize', specialize));

  const oobe: XmlElement[] = [textEl('HideEULAPage', 'true')];
  if (options.hideAccountScreens ?? true) oobe.push(textEl('HideLocalAccountScreen', 'true'), textEl('HideOnlineAccountScreens', 'true'));
  oobe.push(textEl('NetworkLocation', options.networkLocation ?? 'Work'), textEl('ProtectYourPC', String(options.protectYourPC ?? 3)));
  const shellOobe: XmlElement[] = [el('OOBE', [], oobe)];
  if (options.administratorPassword !== undefined) {
    shellOobe.push(
      el('UserAccounts', [], [
        el('AdministratorPassword', [], [textEl('Value', encodeUnattendPassword(options.administratorPassword.reveal())), textEl('PlainText', 'false')]),
      ]),
    );
  }
  passes.push(pass('oobeSystem', [component('Microsoft-Windows-Shell-Setup', shellOobe)]));

  const root = el('unattend', [['xmlns', UNATTEND_NAMESPACE]], passes);
  return `<?xml version="1.0" encoding="utf-8"?>\n${renderXml(root)}`;
}
