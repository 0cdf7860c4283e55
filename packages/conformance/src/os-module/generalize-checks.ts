import { ProvkitError, Secret, type EndState, type NodeSpec, type OsModuleV1, type PreCaptureResult, type ProgressEvent } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { recordEvents } from '../kit/record-events.ts';
import { expectCompleteCommands, expectErrorCode } from '../kit/test-api.ts';
import type { ObservedNode, OsModuleKitOptions } from './options.ts';
import { expectAbsentCapability } from './absent-capability.ts';
import { withOsModule } from './wait-checks.ts';

/** Runs `operation` and returns what it reported through `onProgress` and on the module's events. */
async function observedProgress(module: OsModuleV1, operation: (onProgress: (event: ProgressEvent) => void) => Promise<unknown>): Promise<{ given: string[]; emitted: string[] }> {
  const given: ProgressEvent[] = [];
  const { events, stop } = recordEvents(module.events);
  try {
    await operation((event) => given.push(event));
  } finally {
    stop();
  }
  expectCompleteCommands(events);
  const emitted = events.filter((event) => event.name === 'progress').map((event) => event.payload as ProgressEvent);
  const words = (list: ProgressEvent[]): string[] => list.map((event) => `${event.operation}:${event.step}`);
  return { given: words(given), emitted: words(emitted) };
}

/** What the end state must look like from the host, given the node before. */
function expectEndState(endState: EndState, before: ObservedNode, after: ObservedNode): void {
  if (endState === 'off') expect(after.power).toBe('off');
  else expect({ power: after.power, boots: after.boots }).toEqual({ power: 'on', boots: before.boots + (endState === 'reboot' ? 1 : 0) });
}

/** postLoad and preCapture on disposable nodes, observed from the host. */
export function osModuleGeneralizeChecks(options: OsModuleKitOptions, disposableNode: () => Promise<NodeSpec>, observeNode: (node: NodeSpec) => Promise<ObservedNode>): KitCheck[] {
  const group = 'OsModuleV1 post-load and generalization';
  const timeout = Math.max(options.quickTimeoutMs ?? 60_000, 600_000);
  const endStates: Array<[EndState | undefined, EndState]> = [[undefined, 'off'], ['off', 'off'], ['on', 'on'], ['reboot', 'reboot']];
  return [
    check(group, 'postLoad records the image with post-load done, reporting its steps through onProgress exactly as on its events', timeout, () =>
      withOsModule(options, async (module) => {
        const node = await disposableNode();
        const { given, emitted } = await observedProgress(module, (onProgress) => module.postLoad({ node, image: 'conformance-v3', onProgress }));
        expect(given.length).toBeGreaterThan(0);
        expect(given).toEqual(emitted);
        for (const word of given) expect(word).toMatch(/^postLoad:[a-z]/);
        expect(await module.readCurrentImage({ node })).toMatchObject({ image: 'conformance-v3', postLoadDone: true });
      }),
    ),
    ...endStates.map(([asked, endState]) =>
      check(group, `preCapture with end state ${asked ?? 'unset (default off)'} generalizes and leaves the node ${endState === 'reboot' ? 'rebooted (one more boot)' : endState}, sub-steps through onProgress (without the generalize capability: UNSUPPORTED_FUNCTIONALITY, no command)`, timeout, () =>
        withOsModule(options, async (module) => {
          const node = await disposableNode();
          if (!module.capabilities.generalize) return expectAbsentCapability(module, 'generalize', () => module.preCapture({ node, ...(asked ? { endState: asked } : {}) }));
          // Something to generalize away: a user and a firewall grant, where the module has them.
          if (module.capabilities.users) await module.createUser({ node, username: 'confgone' });
          if (module.capabilities.firewall) await module.grantAccess({ node, remoteIp: '192.0.2.11', ports: [22] });
          const before = await observeNode(node);
          let result;
          const { given, emitted } = await observedProgress(module, async (onProgress) => {
            result = await module.preCapture({ node, ...(asked ? { endState: asked } : {}), onProgress });
          });
          expect(result).toMatchObject({ endState, operations: expect.any(Array) });
          expect((result as unknown as PreCaptureResult).operations.length, 'generalization reports what it did').toBeGreaterThan(0);
          // Each generalization operation says what it did, in words.
          for (const report of (result as unknown as PreCaptureResult).operations) expect(report).toMatchObject({ name: expect.stringMatching(/\S/), changed: expect.any(Boolean), detail: expect.stringMatching(/\S/) });
          expect(given.length).toBeGreaterThan(0);
          expect(given).toEqual(emitted);
          for (const word of given) expect(word).toMatch(/^preCapture:[a-z]/);
          const after = await observeNode(node);
          expectEndState(endState, before, after);
          if (after.users) expect(Object.keys(after.users), 'generalization removes users').not.toContain('confgone');
          if (after.grants) expect(after.grants, 'generalization removes firewall grants').toEqual([]);
          // Off means the guest no longer answers; on and reboot mean it does.
          if (endState === 'off') await expectErrorCode(module.waitForResponse({ node, timeoutMs: options.unreachableTimeoutMs ?? 1500 }), 'TIMEOUT');
          else await module.waitForResponse({ node, timeoutMs: timeout });
        }),
      ),
    ),
    check(group, 'grants and revokes access for one address, reporting complete commands (without the firewall capability: UNSUPPORTED_FUNCTIONALITY, no command)', timeout, () =>
      withOsModule(options, async (module) => {
        const node = await disposableNode();
        if (!module.capabilities.firewall) {
          await expectAbsentCapability(module, 'firewall', () => module.grantAccess({ node, remoteIp: '192.0.2.10', ports: [22] }));
          return expectAbsentCapability(module, 'firewall', () => module.revokeAccess({ node, remoteIp: '192.0.2.10', ports: [22] }));
        }
        const { events, stop } = recordEvents(module.events);
        try {
          await module.grantAccess({ node, remoteIp: '192.0.2.10', ports: [22, 3389] });
          const granted = (await observeNode(node)).grants;
          if (granted) expect([...granted].sort()).toEqual(['192.0.2.10:22', '192.0.2.10:3389']);
          await module.revokeAccess({ node, remoteIp: '192.0.2.10', ports: [3389] });
          const left = (await observeNode(node)).grants;
          if (left) expect(left).toEqual(['192.0.2.10:22']);
        } finally {
          stop();
        }
        expectCompleteCommands(events);
      }),
    ),
    check(group, 'randomizes every administrator password, never emitting one (without the users capability: UNSUPPORTED_FUNCTIONALITY, no command)', timeout, () =>
      withOsModule(options, async (module) => {
        const node = await disposableNode();
        if (!module.capabilities.users) return expectAbsentCapability(module, 'users', () => module.randomizeAdminPasswords({ node }));
        const password = Secret.of(`admin-${Math.random().toString(36).slice(2)}`);
        const { events, stop } = recordEvents(module.events);
        let passwords: Record<string, Secret> = {};
        try {
          await module.createUser({ node, username: 'confadmin', password, admin: true });
          await module.createUser({ node, username: 'confplain' });
          const users = (await observeNode(node)).users;
          if (users) expect(users).toMatchObject({ confadmin: { admin: true }, confplain: { admin: false } });
          if (users?.confadmin?.hasPassword !== undefined) expect([users.confadmin.hasPassword, users.confplain?.hasPassword]).toEqual([true, false]);
          passwords = (await module.randomizeAdminPasswords({ node })).passwords;
          await module.deleteUser({ node, username: 'confplain' });
          // A password for a user that does not exist is an error, not a silent success.
          const missing = await module.setPassword({ node, username: 'confplain', password }).then(() => undefined, (error: unknown) => error);
          expect(ProvkitError.isInstance(missing), `setPassword of a missing user answered ${String(missing)}`).toBe(true);
          const left = (await observeNode(node)).users;
          if (left) expect(Object.keys(left)).not.toContain('confplain');
        } finally {
          stop();
        }
        expectCompleteCommands(events);
        expect(Object.keys(passwords)).toContain('confadmin');
        expect(Object.keys(passwords), 'only administrators').not.toContain('confplain');
        expect(passwords.confadmin!.reveal()).not.toBe(password.reveal());
        const text = JSON.stringify(events);
        for (const secret of [password, ...Object.values(passwords)]) expect(text).not.toContain(secret.reveal());
      }),
    ),
  ];
}
