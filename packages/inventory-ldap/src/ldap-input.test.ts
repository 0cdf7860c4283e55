import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { InvalidInputError, Secret } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapInventory } from './ldap-inventory.ts';

// A TCP listener that only counts connections: any request would need one.
let server: Server;
let connections = 0;
const sockets: Socket[] = [];
let url: string;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ldap://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const options = () => ({ url, bindDN: 'cn=admin,dc=example,dc=com', password: Secret.of('pw'), allowPlaintextBind: true, baseDN: 'dc=example,dc=com' });

describe('LdapInventory input checks (before any connection)', () => {
  it.each([
    ['a NUL in the base DN', { baseDN: 'dc=example\u0000,dc=com' }],
    ['a line break in the base DN', { baseDN: 'dc=example\n,dc=com' }],
    ['a DN special in the base DN', { baseDN: 'dc=example+cn=x,dc=com' }],
    ['a string timeout', { timeoutMs: 'soon' }],
    ['a negative connect timeout', { connectTimeoutMs: -1 }],
    ['a NUL in the bind DN', { bindDN: 'cn=admin\u0000,dc=example,dc=com' }],
  ])('refuses %s at construction', (_what, override) => {
    expect(() => new LdapInventory({ ...options(), ...override } as never)).toThrow(InvalidInputError);
    expect(connections).toBe(0);
  });

  it('refuses null records and options with InvalidInputError, not TypeError, and connects to nothing', async () => {
    const inventory = new LdapInventory(options());
    await expect(inventory.createPool(null as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(inventory.getPool('not-a-uuid')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(inventory.listPools(null as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(inventory.createVm(null as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(inventory.setTemplateMode('00000000-0000-4000-8000-000000000000', null as never)).rejects.toBeInstanceOf(InvalidInputError);
    expect(connections).toBe(0);
    await inventory.close();
  });
});
