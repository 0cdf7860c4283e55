import { createEmitter, InvalidInputError, Secret, type CommandRunner } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { LinuxOsModule } from './linux-os-module.ts';

/** A runner that records every attempt: input checks must refuse before reaching it. */
function untouchedRunner(calls: string[]): CommandRunner {
  const fail = async (): Promise<never> => {
    calls.push('called');
    throw new Error('no command may run');
  };
  return { target: 'nowhere', events: createEmitter(), run: fail, writeFile: fail, uploadFile: fail, downloadFile: fail };
}

describe('LinuxOsModule input checks (before any command)', () => {
  const calls: string[] = [];
  const module = new LinuxOsModule({ runnerFor: () => untouchedRunner(calls) });
  const node = { name: 'web-1', address: { host: '192.168.77.10' } };

  it.each([
    ['node name', () => module.waitForResponse({ node: { name: '../etc', address: { host: '192.168.77.10' } } })],
    ['user name', () => module.createUser({ node, username: 'Robert"); DROP' })],
    ['root as user', () => module.createUser({ node, username: 'root' })],
    ['ssh key', () => module.createUser({ node, username: 'ok', sshPublicKeys: ['command="reboot" ssh-ed25519 AAAA'] })],
    ['empty password', () => module.setPassword({ node, username: 'ok', password: Secret.of('') })],
    ['plain-string password', () => module.setPassword({ node, username: 'ok', password: 'plain' as unknown as Secret })],
    ['remote ip', () => module.grantAccess({ node, remoteIp: '192.168.77.5 ', ports: [22] })],
    ['no ports', () => module.revokeAccess({ node, remoteIp: '192.168.77.5', ports: [] })],
    ['image name', () => module.postLoad({ node, image: 'base' })],
    ['hostname', () => module.postLoad({ node, image: 'base-v1', customization: { hostname: 'bad_host name' } })],
    ['first-boot command', () => module.postLoad({ node, image: 'base-v1', customization: { firstBootCommand: [] } })],
    ['operation', () => module.preCapture({ node, operations: ['machine-id', 'wipe-disk'] })],
    ['root-password without a password', () => module.preCapture({ node, operations: ['root-password'] })],
    ['end state', () => module.preCapture({ node, endState: 'suspend' as never })],
    ['deleting root', () => module.deleteUser({ node, username: 'root' })],
  ])('refuses a bad %s with InvalidInputError', async (_what, call) => {
    await expect(call()).rejects.toBeInstanceOf(InvalidInputError);
    expect(calls).toEqual([]);
  });

  it('refuses bad options at construction', () => {
    expect(() => new LinuxOsModule({ runnerFor: () => untouchedRunner(calls), operations: ['nope'] })).toThrow(InvalidInputError);
    expect(() => new LinuxOsModule({ runnerFor: () => untouchedRunner(calls), managementAddresses: ['mgmt.example'] })).toThrow(InvalidInputError);
    expect(() => new LinuxOsModule({ runnerFor: () => untouchedRunner(calls), rootPassword: Secret.of('a\nb') })).toThrow(InvalidInputError);
  });

  it('declares the v1 contract and its capabilities', () => {
    expect(module.specificationVersion).toBe('v1');
    expect(module.os).toBe('linux');
    expect(module.capabilities).toEqual({ firewall: true, generalize: true, users: true });
  });
});
