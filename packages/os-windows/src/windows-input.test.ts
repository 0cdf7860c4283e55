import { createEmitter, InvalidInputError, Secret } from '@provkit/core';
import type { CommandRunner } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { WindowsOsModule } from './windows-os-module.ts';

/** Records every attempt to reach the guest: input checks must refuse before any. */
function recordingRunner(calls: string[]): CommandRunner {
  const record = async (): Promise<never> => {
    calls.push('called');
    throw new Error('no command may run');
  };
  return { target: 'Administrator@win:22', events: createEmitter(), run: record, writeFile: record, uploadFile: record, downloadFile: record };
}

const node = { name: 'win-1', address: { host: '192.168.77.20' } };
const administratorPassword = Secret.of('Adm1n-Passw0rd');

describe('WindowsOsModule input checks (before any command)', () => {
  it.each([
    ['shutdown with a negative timeout', (module: WindowsOsModule) => module.shutdown({ node, timeoutMs: -1 })],
    ['shutdown with a NaN timeout', (module: WindowsOsModule) => module.shutdown({ node, timeoutMs: Number.NaN })],
    ['reboot with a string timeout', (module: WindowsOsModule) => module.reboot({ node, timeoutMs: 'soon' as never })],
    ['preCapture with a negative timeout', (module: WindowsOsModule) => module.preCapture({ node, timeoutMs: -10 })],
    ['waitForResponse with a NaN timeout', (module: WindowsOsModule) => module.waitForResponse({ node, timeoutMs: Number.NaN })],
    ['a node name with shell specials', (module: WindowsOsModule) => module.readCurrentImage({ node: { name: 'a&b|c', address: node.address } })],
    ['a node address with specials', (module: WindowsOsModule) => module.readCurrentImage({ node: { name: 'win-1', address: { host: 'h;calc' } } })],
    ['a null node address', (module: WindowsOsModule) => module.readCurrentImage({ node: { name: 'win-1', address: null as never } })],
    ['a null info', (module: WindowsOsModule) => module.writeCurrentImage({ node, info: null as never })],
    ['a zone id grant address', (module: WindowsOsModule) => module.grantAccess({ node, remoteIp: 'fe80::1%12', ports: [3389] })],
  ])('refuses %s with InvalidInputError', async (_what, call) => {
    const calls: string[] = [];
    const module = new WindowsOsModule({ runnerFor: () => recordingRunner(calls), administratorPassword });
    await expect(call(module)).rejects.toBeInstanceOf(InvalidInputError);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a string', 'cmd.exe /c echo hi'],
    ['an entry without path', [{ description: 'nothing to run' }]],
    ['a null entry', [null]],
  ])('refuses unattend.runSynchronous given %s at construction', (_what, runSynchronous) => {
    expect(() => new WindowsOsModule({ runnerFor: () => recordingRunner([]), administratorPassword, unattend: { runSynchronous: runSynchronous as never } })).toThrow(InvalidInputError);
  });

  it.each(['C:\\Windows\\Temp\\%USERNAME%.xml', 'C:\\Temp\\a&b.xml', 'C:\\Temp\\a^b.xml', 'C:\\Temp\\!x!.xml', 'C:\\Temp\\a(b).xml', 'C:\\Temp\\a\tb.xml'])(
    'refuses the unattendPath %s (cmd.exe would expand or split it in the clean-up step)',
    (unattendPath) => {
      expect(() => new WindowsOsModule({ runnerFor: () => recordingRunner([]), administratorPassword, unattendPath })).toThrow(InvalidInputError);
    },
  );

  it('refuses a missing options object and bad module timeouts with InvalidInputError', () => {
    expect(() => new WindowsOsModule(undefined as never)).toThrow(InvalidInputError);
    expect(() => new WindowsOsModule({ runnerFor: () => recordingRunner([]), waitTimeoutMs: -1 })).toThrow(InvalidInputError);
  });
});
