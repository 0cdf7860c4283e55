import { Secret } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { recordEvents } from '../kit/record-events.ts';
import { expectCompleteCommands, expectErrorCode } from '../kit/test-api.ts';
import type { OsModuleKitOptions } from './options.ts';
import { expectAbsentCapability } from './absent-capability.ts';
import { withOsModule } from './wait-checks.ts';

/** currentimage.txt and users on the live node; secrets never emitted. */
export function osModuleAccessChecks(options: OsModuleKitOptions): KitCheck[] {
  const group = 'OsModuleV1 users and access';
  const quick = options.quickTimeoutMs ?? 60_000;
  return [
    check(group, 'writes and reads back the current image with its properties and post-load state', quick, () =>
      withOsModule(options, async (module) => {
        const node = options.node();
        const info = { image: 'conformance-image-v7', properties: { id: '42', imagerevision_id: '7' }, postLoadDone: false };
        await module.writeCurrentImage({ node, info });
        const read = await module.readCurrentImage({ node });
        expect(read).toMatchObject({ image: 'conformance-image-v7', postLoadDone: false });
        expect(read?.properties).toMatchObject({ id: '42', imagerevision_id: '7' });
      }),
    ),
    check(group, 'creates a user with a password, changes it and deletes the user, never emitting the password (without the users capability: UNSUPPORTED_FUNCTIONALITY, no command)', quick, () =>
      withOsModule(options, async (module) => {
        if (!module.capabilities.users) return expectAbsentCapability(module, 'users', () => module.createUser({ node: options.node(), username: 'conformance' }));
        const node = options.node();
        const username = `conf${Math.random().toString(36).slice(2, 8)}`;
        const first = Secret.of(`first-${Math.random().toString(36).slice(2)}`);
        const second = Secret.of(`second-${Math.random().toString(36).slice(2)}`);
        const { events, stop } = recordEvents(module.events);
        try {
          await module.createUser({ node, username, password: first });
          await module.setPassword({ node, username, password: second });
        } finally {
          await module.deleteUser({ node, username });
          stop();
        }
        expectCompleteCommands(events);
        const text = JSON.stringify(events);
        expect(text).not.toContain(first.reveal());
        expect(text).not.toContain(second.reveal());
      }),
    ),
  ];
}
