import { createEmitter, InvalidInputError, Secret, ShellFragment } from '@provkit/core';
import { displayCommand, type CommandResult, type CommandRunner, type RunOptions } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { LinuxOsModule } from './linux-os-module.ts';
import { SystemAccountError } from './users/system-account-error.ts';

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

  it.each([
    ['shutdown negative timeout', () => module.shutdown({ node, timeoutMs: -1 })],
    ['shutdown NaN timeout', () => module.shutdown({ node, timeoutMs: Number.NaN })],
    ['reboot string timeout', () => module.reboot({ node, timeoutMs: 'soon' as never })],
    ['preCapture negative timeout', () => module.preCapture({ node, timeoutMs: -5 })],
    ['preCapture NaN timeout', () => module.preCapture({ node, endState: 'reboot', timeoutMs: Number.NaN })],
    ['waitForResponse string timeout', () => module.waitForResponse({ node, timeoutMs: 'soon' as never })],
    ['null address', () => module.readCurrentImage({ node: { name: 'web-1', address: null as never } })],
    ['null info', () => module.writeCurrentImage({ node, info: null as never })],
    ['string operations', () => module.preCapture({ node, operations: 'machine-id' as never })],
    ['string ssh keys', () => module.createUser({ node, username: 'ok', sshPublicKeys: 'ssh-ed25519 AAAA' as never })],
    ['string ports', () => module.grantAccess({ node, remoteIp: '192.168.77.5', ports: '22' as never })],
    ['zone id grant address', () => module.grantAccess({ node, remoteIp: 'fe80::1%eth0', ports: [22] })],
    ['null options', () => module.shutdown(null as never)],
  ])('refuses %s with InvalidInputError before any command', async (_what, call) => {
    await expect(call()).rejects.toBeInstanceOf(InvalidInputError);
    expect(calls).toEqual([]);
  });

  it('refuses a missing options object at construction with InvalidInputError, not TypeError', () => {
    expect(() => new LinuxOsModule(undefined as never)).toThrow(InvalidInputError);
    expect(() => new LinuxOsModule({ runnerFor: () => untouchedRunner(calls), timeouts: { shutdownMs: -1 } })).toThrow(InvalidInputError);
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

/** A runner that answers the read-only probes with canned output and records every command. */
function probeRunner(commands: string[], answer: (command: string) => string): CommandRunner {
  const fail = async (): Promise<never> => {
    throw new Error('no transfer expected');
  };
  return {
    target: 'guest',
    events: createEmitter(),
    run: async (command): Promise<CommandResult> => {
      const text = command instanceof ShellFragment ? command.text : command.join(' ');
      commands.push(text);
      const stdout = answer(text);
      return { command: text, exitCode: 0, stdout, stderr: '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
    },
    writeFile: fail,
    uploadFile: fail,
    downloadFile: fail,
  };
}

describe('LinuxOsModule refusals that need a look at the guest (only a read-only probe runs)', () => {
  const node = { name: 'web-1', address: { host: '192.168.77.10' } };

  it('createUser and postLoad refuse an existing system account with SystemAccountError', async () => {
    const commands: string[] = [];
    const module = new LinuxOsModule({ runnerFor: () => probeRunner(commands, (text) => (text.includes('uid-min') ? 'uid-min 1000\nuid sshd 104\n' : 'web-1')) });
    await expect(module.createUser({ node, username: 'sshd', sshPublicKeys: [] })).rejects.toMatchObject({ name: 'SystemAccountError', field: 'user.username', uid: 104 });
    expect(commands).toHaveLength(1);
    const error = await module.postLoad({ node, image: 'base-v1', customization: { hostname: 'web-1', users: [{ username: 'sshd', admin: true }] } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SystemAccountError);
    expect(error).toMatchObject({ field: 'customization.users[0].username' });
    expect(commands).toHaveLength(2);
  });

  it('postLoad refuses a node name that cannot be the hostname of a guest that has none', async () => {
    const commands: string[] = [];
    const module = new LinuxOsModule({ runnerFor: () => probeRunner(commands, () => '') });
    const error = await module.postLoad({ node: { ...node, name: 'web_1' }, image: 'base-v1' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'node.name' });
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain('/etc/hostname');
  });
});

describe('LinuxOsModule.checkCustomization and declared capabilities', () => {
  const calls: string[] = [];
  const node = { name: 'web-1', address: { host: '192.168.77.10' } };

  it('refuses what postLoad would refuse, naming the field, without a guest', () => {
    const module = new LinuxOsModule({ runnerFor: () => untouchedRunner(calls) });
    const field = (customization: Parameters<LinuxOsModule['checkCustomization']>[0]): string | undefined => {
      try {
        module.checkCustomization(customization);
        return undefined;
      } catch (error) {
        return error instanceof InvalidInputError ? error.field : String(error);
      }
    };
    expect(field({ hostname: 'web-1', users: [{ username: 'alice', password: Secret.of('pw'), admin: true }] })).toBeUndefined();
    expect(field({ users: [{ username: 'Alice;reboot' }] })).toBe('customization.users[0].username');
    expect(field({ users: [{ username: 'alice', password: 'plain' as unknown as Secret }] })).toBe('customization.users[0].password');
    expect(field({ hostname: 'bad_host name' })).toBe('customization.hostname');
    expect(field({ sshAuthorizedKeys: ['not a key'] })).toBe('customization.sshAuthorizedKeys[0]');
    expect(field({ firstBootCommand: [] })).toBe('customization.firstBootCommand');
    expect(calls).toEqual([]);
  });

  it('refuses user and firewall operations its guests are declared to lack, after checking the input', async () => {
    const module = new LinuxOsModule({ runnerFor: () => untouchedRunner(calls), capabilities: { users: false, firewall: false } });
    expect(module.capabilities).toEqual({ firewall: false, generalize: true, users: false });
    await expect(module.createUser({ node, username: 'a"b' })).rejects.toBeInstanceOf(InvalidInputError);
    for (const call of [
      () => module.createUser({ node, username: 'alice' }),
      () => module.setPassword({ node, username: 'alice', password: Secret.of('pw') }),
      () => module.deleteUser({ node, username: 'alice' }),
      () => module.randomizeAdminPasswords({ node }),
      () => module.grantAccess({ node, remoteIp: '192.168.77.5', ports: [22] }),
      () => module.revokeAccess({ node, remoteIp: '192.168.77.5', ports: [22] }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'UNSUPPORTED_FUNCTIONALITY' });
    }
    expect(() => module.checkCustomization({ users: [{ username: 'alice' }] })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FUNCTIONALITY' }));
    expect(calls).toEqual([]);
  });
});

describe('LinuxOsModule password redaction is no oracle', () => {
  const node = { name: 'web-1', address: { host: '192.168.77.10' } };

  it('lists a stdin-fed password for output redaction only, never for the command line', async () => {
    // A password equal to a word of the public script: redacting it from the command line would reveal it.
    const shown: string[] = [];
    const options: RunOptions[] = [];
    const runner: CommandRunner = {
      ...probeRunner([], () => ''),
      run: async (command, runOptions = {}): Promise<CommandResult> => {
        const text = command instanceof ShellFragment ? command.text : command.join(' ');
        options.push(runOptions);
        shown.push(displayCommand(text, runOptions.secrets));
        return { command: text, exitCode: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0), durationMs: 1 };
      },
    };
    const module = new LinuxOsModule({ runnerFor: () => runner });
    await module.setPassword({ node, username: 'alice', password: Secret.of('chpasswd') });
    expect(shown.join('\n')).toContain('chpasswd');
    expect(shown.join('\n')).not.toContain('[redacted]');
    expect(options.flatMap((o) => o.secrets ?? []).map((s) => s.reveal())).toEqual([]);
    expect(options.flatMap((o) => o.outputSecrets ?? []).map((s) => s.reveal())).toEqual(['chpasswd']);
  });
});
