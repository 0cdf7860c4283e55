import { InvalidInputError, type Secret } from '@provkit/core';
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
  /** Password of the built-in Administrator after OOBE; encoded, never plain text. */
  administratorPassword?: Secret;
  /** Folders with out-of-box drivers (PnpCustomizationsNonWinPE), local or UNC. */
  driverPaths?: readonly string[];
}

function check(field: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new InvalidInputError(field, `${JSON.stringify(value)} is not ${what}`);
  return value;
}

/** Validates every option before any XML is produced. */
function validate(options: UnattendOptions): void {
  if (options.computerName !== undefined && options.computerName !== '*') {
    check('unattend.computerName', options.computerName, /^(?![0-9]+$)[A-Za-z0-9-]{1,15}$/, 'a NetBIOS computer name (1-15 letters, digits, "-") or "*"');
  }
  if (options.timeZone !== undefined) check('unattend.timeZone', options.timeZone, /^[A-Za-z0-9][A-Za-z0-9 ().+_-]{0,63}$/, 'a Windows time zone ID');
  if (options.productKey !== undefined) check('unattend.productKey', options.productKey, /^([A-Z0-9]{5}-){4}[A-Z0-9]{5}$/, 'a product key XXXXX-XXXXX-XXXXX-XXXXX-XXXXX');
  options.runSynchronous?.forEach((command, index) => {
    check(`unattend.runSynchronous[${index}].path`, command.path, /^[^\r\n\0]{1,259}$/, 'a command line of 1-259 characters on one line');
    if (command.description !== undefined) check(`unattend.runSynchronous[${index}].description`, command.description, /^[^\r\n\0]{0,256}$/, 'a one-line description');
  });
  options.driverPaths?.forEach((path, index) => {
    check(`unattend.driverPaths[${index}]`, path, /^(?:[A-Za-z]:\\|\\\\)[^\r\n\0<>"|?*]{0,256}$/, 'an absolute local or UNC path of at most 259 characters');
  });
  if (options.protectYourPC !== undefined && ![1, 2, 3].includes(options.protectYourPC)) {
    throw new InvalidInputError('unattend.protectYourPC', `${String(options.protectYourPC)} is not 1, 2 or 3`);
  }
  if (options.networkLocation !== undefined && !['Home', 'Work', 'Other'].includes(options.networkLocation)) {
    throw new InvalidInputError('unattend.networkLocation', `${JSON.stringify(options.networkLocation)} is not Home, Work or Other`);
  }
}

/**
 * Builds an answer file for `sysprep /generalize /oobe`:
 * - `generalize`: Microsoft-Windows-PnpSysprep (keep drivers) and Microsoft-Windows-Security-SPP (SkipRearm);
 * - `specialize`: Microsoft-Windows-Shell-Setup (ComputerName, TimeZone, ProductKey) and
 *   Microsoft-Windows-Deployment (RunSynchronous);
 * - `oobeSystem`: Microsoft-Windows-Shell-Setup (OOBE pages hidden, network location,
 *   Administrator password encoded with PlainText false);
 * - with driver paths, Microsoft-Windows-PnpCustomizationsNonWinPE in `offlineServicing` and
 *   `auditSystem`, its only valid passes.
 *
 * The text contains the (encoded) Administrator password when one is given: treat it as secret.
 */
export function buildUnattendXml(options: UnattendOptions = {}): string {
  validate(options);
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

  const passes: XmlElement[] = [];
  if (options.driverPaths && options.driverPaths.length > 0) {
    const driverPaths = el(
      'DriverPaths',
      [],
      options.driverPaths.map((path, index) => el('PathAndCredentials', [['wcm:action', 'add'], ['wcm:keyValue', String(index + 1)]], [textEl('Path', path)])),
    );
    passes.push(pass('offlineServicing', [component('Microsoft-Windows-PnpCustomizationsNonWinPE', [driverPaths])]));
  }
  passes.push(
    pass('generalize', [
      component('Microsoft-Windows-PnpSysprep', [
        textEl('PersistAllDeviceInstalls', bool(options.persistAllDeviceInstalls ?? true)),
        textEl('DoNotCleanUpNonPresentDevices', bool(options.doNotCleanUpNonPresentDevices ?? true)),
      ]),
      component('Microsoft-Windows-Security-SPP', [textEl('SkipRearm', (options.skipRearm ?? true) ? '1' : '0')]),
    ]),
  );

  const shellSpecialize: XmlElement[] = [textEl('ComputerName', options.computerName ?? '*')];
  if (options.productKey !== undefined) shellSpecialize.push(textEl('ProductKey', options.productKey));
  shellSpecialize.push(textEl('TimeZone', options.timeZone ?? 'UTC'));
  const specialize: XmlElement[] = [component('Microsoft-Windows-Shell-Setup', shellSpecialize)];
  if (options.runSynchronous && options.runSynchronous.length > 0) {
    const commands = options.runSynchronous.map((command, index) => {
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

  if (options.driverPaths && options.driverPaths.length > 0) {
    // auditSystem runs only when the image boots to audit mode; offlineServicing (above) covers DISM.
    const auditDrivers = passes[0]!.children![0]!;
    passes.push(pass('auditSystem', [auditDrivers]));
  }

  const root = el('unattend', [['xmlns', UNATTEND_NAMESPACE]], passes);
  return `<?xml version="1.0" encoding="utf-8"?>\n${renderXml(root)}`;
}
