import type { NodeSpec, OsModuleV1 } from '@provkit/core';
import { check, type KitCheck } from '../kit/check.ts';
import { expectRefusedQuietly } from '../kit/expect-refusals.ts';
import type { OsModuleKitOptions } from './options.ts';
import { withOsModule } from './wait-checks.ts';

const BAD_USERNAMES = ['a"b', 'a;b', '$(reboot)', '', '../root', 'x y'];
const BAD_IPS = ['example.org', '10.0.0.0/8', '1.2.3.4; reboot', ''];
const badNodes = (node: NodeSpec): NodeSpec[] => [
  { ...node, name: 'bad name;reboot' },
  { ...node, name: '../etc' },
  { ...node, address: { host: 'a b;reboot', port: 22 } },
];
const plain = 'plain text' as never;

type Refusals = (module: OsModuleV1, node: NodeSpec) => Array<Promise<unknown>>;

/** Hostile input per operation; refused before any command, whatever the module's capabilities. */
const OPERATIONS: Record<string, Refusals> = {
  createUser: (m, node) => [
    ...BAD_USERNAMES.map((username) => m.createUser({ node, username })),
    m.createUser({ node, username: 'conformance', password: plain }),
    m.createUser({ node, username: 'conformance', sshPublicKeys: 'ssh-ed25519 AAAA' as never }),
    m.createUser({ node, username: 'conformance', admin: 'yes' as never }),
    ...badNodes(node).map((bad) => m.createUser({ node: bad, username: 'conformance' })),
  ],
  deleteUser: (m, node) => BAD_USERNAMES.map((username) => m.deleteUser({ node, username })),
  setPassword: (m, node) => [...BAD_USERNAMES.map((username) => m.setPassword({ node, username, password: plain })), m.setPassword({ node, username: 'conformance', password: plain })],
  grantAccess: (m, node) => [...BAD_IPS.map((remoteIp) => m.grantAccess({ node, remoteIp, ports: [22] })), m.grantAccess({ node, remoteIp: '192.0.2.1', ports: [] }), m.grantAccess({ node, remoteIp: '192.0.2.1', ports: [0] }), m.grantAccess({ node, remoteIp: '192.0.2.1', ports: [65536] })],
  revokeAccess: (m, node) => [...BAD_IPS.map((remoteIp) => m.revokeAccess({ node, remoteIp, ports: [22] })), m.revokeAccess({ node, remoteIp: '192.0.2.1', ports: [-1] })],
  postLoad: (m, node) => [m.postLoad({ node, image: 'not an image' }), m.postLoad({ node, image: 'base-v1', customization: { users: [{ username: 'bad;name' }] } }), m.postLoad({ node, image: 'base-v1', customization: { users: [{ username: 'conformance', password: plain }] } }), ...badNodes(node).map((bad) => m.postLoad({ node: bad, image: 'base-v1' }))],
  waitForResponse: (m, node) => [...badNodes(node).map((bad) => m.waitForResponse({ node: bad })), m.waitForResponse({ node, timeoutMs: -1 })],
  preCapture: (m, node) => [m.preCapture({ node, endState: 'sideways' as never }), m.preCapture({ node, timeoutMs: -1 }), ...badNodes(node).map((bad) => m.preCapture({ node: bad }))],
  writeCurrentImage: (m, node) => [m.writeCurrentImage({ node, info: { image: 'two\nlines-v1', properties: {}, postLoadDone: false } }), m.writeCurrentImage({ node, info: { image: 'base-v1', properties: { 'a\nb': 'c' }, postLoadDone: false } })],
  readCurrentImage: (m, node) => badNodes(node).map((bad) => m.readCurrentImage({ node: bad })),
  randomizeAdminPasswords: (m, node) => badNodes(node).map((bad) => m.randomizeAdminPasswords({ node: bad })),
  shutdown: (m, node) => [...badNodes(node).map((bad) => m.shutdown({ node: bad })), m.shutdown({ node, timeoutMs: -1 })],
  reboot: (m, node) => [...badNodes(node).map((bad) => m.reboot({ node: bad })), m.reboot({ node, timeoutMs: -1 })],
};

/** Hostile input refused with INVALID_INPUT and zero command or progress events, per operation. */
export function osModuleInputChecks(options: OsModuleKitOptions): KitCheck[] {
  const group = 'OsModuleV1 input';
  const quick = options.quickTimeoutMs ?? 60_000;
  return Object.entries(OPERATIONS).map(([operation, calls]) =>
    check(group, `refuses hostile input to ${operation} with INVALID_INPUT (before UNSUPPORTED_FUNCTIONALITY), with no command or progress event`, quick, () =>
      withOsModule(options, (module) => expectRefusedQuietly(module.events, operation, () => calls(module, options.node()))),
    ),
  );
}
