import { describe, expect, it } from 'vitest';
import { checkAccess } from './access.ts';
import { checkNode } from './input-shape.ts';
import { checkSshPublicKey } from './ssh-public-key.ts';

describe('checkNode (the one node check)', () => {
  it('accepts a named node with or without an address and returns it', () => {
    const node = { name: 'web-1', address: { host: '192.0.2.7', port: 2222 } };
    expect(checkNode('node', node)).toBe(node);
    expect(checkNode('node', { name: 'web-1' })).toEqual({ name: 'web-1' });
  });

  it('refuses a missing node, a bad name, host or port, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'node'],
      ['web-1', 'node'],
      [{ name: 'x;reboot' }, 'node.name'],
      [{ name: '../etc' }, 'node.name'],
      [{ name: 'web-1', address: null }, 'node.address'],
      [{ name: 'web-1', address: { host: 'a b' } }, 'node.address.host'],
      [{ name: 'web-1', address: { host: '192.0.2.7', port: 70000 } }, 'node.address.port'],
    ];
    for (const [value, field] of cases) expect(() => checkNode('node', value)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });
});

describe('checkSshPublicKey (the one SSH public key check)', () => {
  it('accepts one OpenSSH key line, trimmed', () => {
    expect(checkSshPublicKey('key', ' ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@host\n')).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample me@host');
    expect(checkSshPublicKey('key', 'sk-ssh-ed25519@openssh.com AAAAGnNr')).toBe('sk-ssh-ed25519@openssh.com AAAAGnNr');
  });

  it('refuses two keys, options, other types and non-strings, naming the field', () => {
    for (const bad of ['ssh-ed25519 AAAA\nssh-rsa BBBB', 'command="x" ssh-ed25519 AAAA', 'ssh-foo AAAA', 'ssh-ed25519', 42]) {
      expect(() => checkSshPublicKey('users[0].sshPublicKeys[1]', bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'users[0].sshPublicKeys[1]' }));
    }
  });
});

describe('checkAccess (the one access check)', () => {
  it('returns the address and the ports, duplicates dropped', () => {
    expect(checkAccess({ remoteIp: '192.0.2.10', ports: [22, 3389, 22] })).toEqual({ remoteIp: '192.0.2.10', ports: [22, 3389] });
  });

  it('refuses a bad address, no ports or a bad port, naming the field', () => {
    const cases: Array<[{ remoteIp: unknown; ports: unknown }, string]> = [
      [{ remoteIp: '192.0.2.10; reboot', ports: [22] }, 'remoteIp'],
      [{ remoteIp: '192.0.2.10', ports: [] }, 'ports'],
      [{ remoteIp: '192.0.2.10', ports: '22' }, 'ports'],
      [{ remoteIp: '192.0.2.10', ports: [22, 0] }, 'ports[1]'],
    ];
    for (const [options, field] of cases) expect(() => checkAccess(options)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field }));
  });
});
