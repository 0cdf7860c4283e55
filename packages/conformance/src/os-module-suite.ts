import { Secret, type NodeSpec, type OsModuleV1 } from '@provkit/core';
import { expect, type TestContext } from 'vitest';
import { expectErrorCode, recordEvents, withFresh, type TestApi } from './test-api.ts';

/** What the OS-module suites need. */
export interface OsModuleSuiteOptions extends TestApi {
  /** Makes a fresh OS module for one test; it is closed after the test. */
  createOsModule: () => Promise<OsModuleV1> | OsModuleV1;
  /** A node running this OS, reachable over SSH, that tests may change (users, currentimage.txt). */
  node: () => NodeSpec;
  /** A node whose address answers nothing (for bounded waits). */
  unreachableNode: () => NodeSpec;
}

function withModule(options: OsModuleSuiteOptions, body: (module: OsModuleV1, context: TestContext) => Promise<void>): (context: TestContext) => Promise<void> {
  return withFresh(options.createOsModule, body);
}

/** Shape, bounded waits and abort. */
export function osModuleWaitSuite(options: OsModuleSuiteOptions): void {
  const { describe, it } = options;
  describe('OsModuleV1 waits', () => {
    it(
      'declares specificationVersion v1 and its capabilities as booleans',
      withModule(options, async (module) => {
        expect(module.specificationVersion).toBe('v1');
        expect(module.os).toMatch(/^[a-z][a-z0-9-]*$/);
        for (const key of ['firewall', 'generalize', 'users'] as const) expect(typeof module.capabilities[key]).toBe('boolean');
      }),
    );
    it(
      'answers waitForResponse on a live node',
      withModule(options, async (module) => {
        await module.waitForResponse({ node: options.node(), timeoutMs: 60_000 });
      }),
    );
    it(
      'gives up on an unreachable node with a TimeoutError naming the node',
      withModule(options, async (module) => {
        const node = options.unreachableNode();
        const error = await expectErrorCode(module.waitForResponse({ node, timeoutMs: 1500 }), 'TIMEOUT');
        expect((error as unknown as { awaited: string }).awaited).toContain(node.name);
      }),
      30_000,
    );
    it(
      'stops waiting as soon as the signal aborts',
      withModule(options, async (module) => {
        const controller = new AbortController();
        const waiting = expectErrorCode(module.waitForResponse({ node: options.unreachableNode(), timeoutMs: 600_000, signal: controller.signal }), 'ABORTED');
        controller.abort();
        await waiting;
      }),
      30_000,
    );
  });
}

/** currentimage.txt round trip. */
export function osModuleCurrentImageSuite(options: OsModuleSuiteOptions): void {
  const { describe, it } = options;
  describe('OsModuleV1 currentimage.txt', () => {
    it(
      'writes and reads back the current image with its properties',
      withModule(options, async (module) => {
        const node = options.node();
        const info = { image: 'conformance-image-v7', properties: { id: '42', imagerevision_id: '7' }, postLoadDone: false };
        await module.writeCurrentImage({ node, info });
        const read = await module.readCurrentImage({ node });
        expect(read).toMatchObject({ image: 'conformance-image-v7', postLoadDone: false });
        expect(read?.properties).toMatchObject({ id: '42', imagerevision_id: '7' });
      }),
    );
  });
}

/** Users and access: validation before any command, secrets never emitted. */
export function osModuleAccessSuite(options: OsModuleSuiteOptions): void {
  const { describe, it } = options;
  describe('OsModuleV1 users and access', () => {
    it(
      'refuses unsafe user names and non-IP addresses before running anything',
      withModule(options, async (module) => {
        const node = options.node();
        const { events, stop } = recordEvents(module.events as never);
        for (const username of ['a"b', 'a;b', '$(reboot)', '']) {
          await expectErrorCode(module.createUser({ node, username }), 'INVALID_INPUT');
        }
        if (module.capabilities.firewall) {
          for (const remoteIp of ['example.org', '10.0.0.0/8', '1.2.3.4; reboot']) {
            await expectErrorCode(module.grantAccess({ node, remoteIp, ports: [22] }), 'INVALID_INPUT');
          }
        }
        stop();
        expect(events.filter((event) => event.name === 'command')).toEqual([]);
      }),
    );
    it(
      'creates a user with a password, changes it and deletes the user, never emitting the password',
      withModule(options, async (module, context) => {
        if (!module.capabilities.users) {
          await expectErrorCode(module.createUser({ node: options.node(), username: 'conformance' }), 'UNSUPPORTED_FUNCTIONALITY');
          return context.skip(`the ${module.os} OS module declares no user management (createUser answered UNSUPPORTED_FUNCTIONALITY)`);
        }
        const node = options.node();
        const username = `conf${Math.random().toString(36).slice(2, 8)}`;
        const first = Secret.of(`first-${Math.random().toString(36).slice(2)}`);
        const second = Secret.of(`second-${Math.random().toString(36).slice(2)}`);
        const { events, stop } = recordEvents(module.events as never);
        try {
          await module.createUser({ node, username, password: first });
          await module.setPassword({ node, username, password: second });
        } finally {
          await module.deleteUser({ node, username });
          stop();
        }
        const text = JSON.stringify(events);
        expect(text).not.toContain(first.reveal());
        expect(text).not.toContain(second.reveal());
      }),
    );
  });
}

/** Every OS-module suite. */
export function osModuleConformance(options: OsModuleSuiteOptions): void {
  osModuleWaitSuite(options);
  osModuleCurrentImageSuite(options);
  osModuleAccessSuite(options);
}
