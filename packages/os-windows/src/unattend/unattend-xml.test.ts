import { InvalidInputError, Secret } from '@provkit/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { decodeUnattendPassword, encodeUnattendPassword } from './unattend-password.ts';
import { buildUnattendXml, UNATTEND_NAMESPACE, WCM_NAMESPACE } from './unattend-xml.ts';
import { renderXml, textEl } from './xml-escape.ts';

type Node = Record<string, unknown>;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['settings', 'component', 'RunSynchronousCommand', 'PathAndCredentials'].includes(name), parseTagValue: false });

/** The field of the InvalidInputError the body throws (or a description of what happened instead). */
function fieldOf(body: () => unknown): string {
  try {
    body();
  } catch (error) {
    return error instanceof InvalidInputError ? error.field : `not InvalidInputError: ${String(error)}`;
  }
  return 'nothing thrown';
}

function parse(xml: string): Node {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml) as Node;
}

/** The components of each pass: { passName: { componentName: componentNode } }. */
function passes(xml: string): Record<string, Record<string, Node>> {
  const root = parse(xml).unattend as Node;
  const out: Record<string, Record<string, Node>> = {};
  for (const settings of root.settings as Node[]) {
    const components: Record<string, Node> = {};
    for (const component of settings.component as Node[]) components[component['@name'] as string] = component;
    out[settings['@pass'] as string] = components;
  }
  return out;
}

describe('buildUnattendXml', () => {
  const full = buildUnattendXml({
    computerName: 'LAB-PC01',
    timeZone: 'W. Europe Standard Time',
    productKey: 'ABCDE-12345-FGHIJ-67890-KLMNO',
    runSynchronous: [{ path: 'cmd.exe /c echo <a & b> "c"', description: "first & 'only'" }, { path: 'reg.exe add HKLM\\X /f' }],
    networkLocation: 'Home',
    protectYourPC: 1,
    administratorPassword: Secret.of('P@ss<&>"word'),
    driverPaths: ['C:\\Drivers', '\\\\server\\share\\drivers'],
  });

  it('is well-formed XML in the unattend namespace', () => {
    const root = parse(full).unattend as Node;
    expect(root['@xmlns']).toBe(UNATTEND_NAMESPACE);
    expect(full.startsWith('<?xml version="1.0" encoding="utf-8"?>\n')).toBe(true);
  });

  it('marks every component amd64, neutral, nonSxS, with the Microsoft public key token and the wcm namespace', () => {
    for (const components of Object.values(passes(full))) {
      for (const component of Object.values(components)) {
        expect(component).toMatchObject({
          '@processorArchitecture': 'amd64',
          '@publicKeyToken': '31bf3856ad364e35',
          '@language': 'neutral',
          '@versionScope': 'nonSxS',
          '@xmlns:wcm': WCM_NAMESPACE,
          '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
        });
      }
    }
  });

  it('puts each component in the pass where Windows reads it', () => {
    const layout = Object.fromEntries(Object.entries(passes(full)).map(([pass, components]) => [pass, Object.keys(components)]));
    expect(layout).toEqual({
      generalize: ['Microsoft-Windows-PnpSysprep', 'Microsoft-Windows-Security-SPP'],
      specialize: ['Microsoft-Windows-Shell-Setup', 'Microsoft-Windows-Deployment'],
      oobeSystem: ['Microsoft-Windows-Shell-Setup'],
    });
    // sysprep /generalize /oobe never runs offlineServicing or auditSystem, the only passes of PnpCustomizationsNonWinPE.
    expect(full).not.toContain('PnpCustomizationsNonWinPE');
    expect(full).not.toContain('offlineServicing');
    expect(full).not.toContain('auditSystem');
  });

  it('generalize: keeps device installs and skips the rearm', () => {
    const generalize = passes(full).generalize!;
    expect(generalize['Microsoft-Windows-PnpSysprep']).toMatchObject({ PersistAllDeviceInstalls: 'true', DoNotCleanUpNonPresentDevices: 'true' });
    expect(generalize['Microsoft-Windows-Security-SPP']).toMatchObject({ SkipRearm: '1' });
    const other = passes(buildUnattendXml({ persistAllDeviceInstalls: false, doNotCleanUpNonPresentDevices: false, skipRearm: false, administratorPassword: Secret.of('x') })).generalize!;
    expect(other['Microsoft-Windows-PnpSysprep']).toMatchObject({ PersistAllDeviceInstalls: 'false', DoNotCleanUpNonPresentDevices: 'false' });
    expect(other['Microsoft-Windows-Security-SPP']).toMatchObject({ SkipRearm: '0' });
  });

  it('specialize: computer name, time zone, product key and ordered RunSynchronous commands (drivers first), text escaped', () => {
    const specialize = passes(full).specialize!;
    expect(specialize['Microsoft-Windows-Shell-Setup']).toMatchObject({ ComputerName: 'LAB-PC01', TimeZone: 'W. Europe Standard Time', ProductKey: 'ABCDE-12345-FGHIJ-67890-KLMNO' });
    const commands = ((specialize['Microsoft-Windows-Deployment']!.RunSynchronous as Node).RunSynchronousCommand as Node[]).map((command) => ({ ...command }));
    expect(commands.slice(2)).toEqual([
      { '@wcm:action': 'add', Order: '3', Path: 'cmd.exe /c echo <a & b> "c"', Description: "first & 'only'" },
      { '@wcm:action': 'add', Order: '4', Path: 'reg.exe add HKLM\\X /f' },
    ]);
    expect(full).toContain('<Path>cmd.exe /c echo &lt;a &amp; b&gt; &quot;c&quot;</Path>');
  });

  it('oobeSystem: hides the EULA and account pages, sets network location and ProtectYourPC, encodes the password', () => {
    const shell = passes(full).oobeSystem!['Microsoft-Windows-Shell-Setup']!;
    expect(shell.OOBE).toEqual({ HideEULAPage: 'true', HideLocalAccountScreen: 'true', HideOnlineAccountScreens: 'true', NetworkLocation: 'Home', ProtectYourPC: '1' });
    const password = (shell.UserAccounts as Node).AdministratorPassword as Node;
    expect(password.PlainText).toBe('false');
    expect(decodeUnattendPassword(password.Value as string)).toBe('P@ss<&>"word');
    expect(full).not.toContain('P@ss');
  });

  it('driver paths: one pnputil /add-driver /subdirs /install per folder, first in specialize RunSynchronous', () => {
    const commands = ((passes(full).specialize!['Microsoft-Windows-Deployment']!.RunSynchronous as Node).RunSynchronousCommand as Node[]).map((command) => ({ ...command }));
    expect(commands.slice(0, 2)).toEqual([
      { '@wcm:action': 'add', Order: '1', Path: 'pnputil.exe /add-driver "C:\\Drivers\\*.inf" /subdirs /install', Description: 'provkit: install the drivers in C:\\Drivers' },
      {
        '@wcm:action': 'add',
        Order: '2',
        Path: 'pnputil.exe /add-driver "\\\\server\\share\\drivers\\*.inf" /subdirs /install',
        Description: 'provkit: install the drivers in \\\\server\\share\\drivers',
      },
    ]);
    // A trailing separator is not doubled; a drive root works; drivers alone still make the Deployment component.
    const alone = passes(buildUnattendXml({ driverPaths: ['C:\\', 'D:\\Virtio\\'], promptForAdministratorPassword: true }));
    const paths = ((alone.specialize!['Microsoft-Windows-Deployment']!.RunSynchronous as Node).RunSynchronousCommand as Node[]).map((command) => command.Path);
    expect(paths).toEqual(['pnputil.exe /add-driver "C:\\*.inf" /subdirs /install', 'pnputil.exe /add-driver "D:\\Virtio\\*.inf" /subdirs /install']);
    expect(Object.keys(alone)).toEqual(['generalize', 'specialize', 'oobeSystem']);
  });

  it('driver paths: the longest accepted one still gives a command of at most 259 characters', () => {
    const longest = `C:\\${'d'.repeat(206)}`;
    const xml = buildUnattendXml({ driverPaths: [longest], promptForAdministratorPassword: true });
    const command = ((passes(xml).specialize!['Microsoft-Windows-Deployment']!.RunSynchronous as Node).RunSynchronousCommand as Node[])[0]!.Path as string;
    expect(command).toHaveLength(259);
    expect(() => buildUnattendXml({ driverPaths: [`${longest}d`], promptForAdministratorPassword: true })).toThrow(/too long: its install command would be 260 characters/);
  });

  it('defaults: random computer name, UTC, Work, ProtectYourPC 3, no drivers, no RunSynchronous', () => {
    const minimal = passes(buildUnattendXml({ administratorPassword: Secret.of('Pa55') }));
    expect(Object.keys(minimal)).toEqual(['generalize', 'specialize', 'oobeSystem']);
    expect(minimal.specialize!['Microsoft-Windows-Shell-Setup']).toMatchObject({ ComputerName: '*', TimeZone: 'UTC' });
    expect(minimal.specialize!['Microsoft-Windows-Deployment']).toBeUndefined();
    expect(minimal.oobeSystem!['Microsoft-Windows-Shell-Setup']!.OOBE).toMatchObject({ NetworkLocation: 'Work', ProtectYourPC: '3' });
  });

  it('requires an Administrator password unless the image may prompt for one', () => {
    expect(fieldOf(() => buildUnattendXml())).toBe('unattend.administratorPassword');
    expect(fieldOf(() => buildUnattendXml({ promptForAdministratorPassword: false }))).toBe('unattend.administratorPassword');
    const prompting = passes(buildUnattendXml({ promptForAdministratorPassword: true }));
    expect(prompting.oobeSystem!['Microsoft-Windows-Shell-Setup']!.UserAccounts).toBeUndefined();
    expect(fieldOf(() => buildUnattendXml({ promptForAdministratorPassword: true, administratorPassword: Secret.of('x') }))).toBe('unattend.promptForAdministratorPassword');
    expect(fieldOf(() => buildUnattendXml({ promptForAdministratorPassword: 'yes' as unknown as boolean }))).toBe('unattend.promptForAdministratorPassword');
  });

  it('uses the requested architecture', () => {
    expect(buildUnattendXml({ processorArchitecture: 'arm64', promptForAdministratorPassword: true })).toContain('processorArchitecture="arm64"');
  });

  it.each([
    ['unattend.computerName', { computerName: 'way-too-long-computer-name' }],
    ['unattend.computerName', { computerName: '12345' }],
    ['unattend.timeZone', { timeZone: 'UTC</TimeZone><x>' }],
    ['unattend.productKey', { productKey: 'abc' }],
    ['unattend.runSynchronous[0].path', { runSynchronous: [{ path: 'a\r\nb' }] }],
    ['unattend.driverPaths[0]', { driverPaths: ['relative\\drivers'] }],
    ['unattend.driverPaths[0]', { driverPaths: ['%SystemDrive%\\Drivers'] }],
    ['unattend.driverPaths[0]', { driverPaths: ['C:\\%TEMP%\\Drivers'] }],
    ['unattend.driverPaths[0]', { driverPaths: ['C:\\a"b'] }],
    ['unattend.driverPaths[0]', { driverPaths: ['\\\\'] }],
    ['unattend.driverPaths[0]', { driverPaths: ['\\\\server'] }],
    ['unattend.driverPaths[1]', { driverPaths: ['C:\\ok', 'C:\\line\nbreak'] }],
    ['unattend.protectYourPC', { protectYourPC: 4 as 1 }],
  ])('refuses a bad %s', (field, options) => {
    // The password is there, so the refusal is the named setting's own.
    expect(fieldOf(() => buildUnattendXml({ ...options, administratorPassword: Secret.of('x') }))).toBe(field);
  });
});

describe('unattend password encoding', () => {
  it('is base64 of UTF-16LE(password + "AdministratorPassword")', () => {
    expect(encodeUnattendPassword('Pa55')).toBe(Buffer.from('Pa55AdministratorPassword', 'utf16le').toString('base64'));
    // Known value: "password" as Windows SIM hides it.
    expect(encodeUnattendPassword('password')).toBe('cABhAHMAcwB3AG8AcgBkAEEAZABtAGkAbgBpAHMAdAByAGEAdABvAHIAUABhAHMAcwB3AG8AcgBkAA==');
  });

  it('round-trips any password, and rejects a value for another setting', () => {
    for (const password of ['', 'simple', 'ünïcødé-€', 'with "quotes" & <tags>', '😀 emoji']) {
      expect(decodeUnattendPassword(encodeUnattendPassword(password))).toBe(password);
    }
    expect(decodeUnattendPassword(encodeUnattendPassword('x', 'Password'))).toBeUndefined();
    expect(decodeUnattendPassword(encodeUnattendPassword('x', 'Password'), 'Password')).toBe('x');
  });
});

describe('renderXml', () => {
  it("escapes through core's escapeXml and names the element of a character XML cannot hold", () => {
    expect(renderXml(textEl('Value', `<a href="x">'&'</a>`))).toBe('<Value>&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;</Value>\n');
    expect(() => renderXml(textEl('ComputerName', 'bell\u0007'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'ComputerName' }));
    expect(() => renderXml(textEl('Value', 'lone \uD800 surrogate'))).toThrow(InvalidInputError);
  });
});
