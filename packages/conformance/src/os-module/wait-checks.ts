import type { OsModuleV1 } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { expectErrorCode, withFresh } from '../kit/test-api.ts';
import type { OsModuleKitOptions } from './options.ts';

/** Runs `body` with a fresh OS module from the options' factory, closed afterwards. */
export function withOsModule<T>(options: OsModuleKitOptions, body: (module: OsModuleV1) => Promise<T>): Promise<T> {
  return withFresh(options.createOsModule, body);
}

/** Shape, bounded waits and abort. */
export function osModuleWaitChecks(options: OsModuleKitOptions): KitCheck[] {
  const group = 'OsModuleV1 waits';
  const quick = options.quickTimeoutMs ?? 60_000;
  const bound = options.unreachableTimeoutMs ?? 1500;
  return [
    check(group, 'declares specificationVersion v1 and its capabilities as booleans', quick, () =>
      withOsModule(options, async (module) => {
        expect(module.specificationVersion).toBe('v1');
        expect(module.os).toMatch(/^[a-z][a-z0-9-]*$/);
        for (const key of ['firewall', 'generalize', 'users'] as const) expect(typeof module.capabilities[key]).toBe('boolean');
        expect(typeof module.events.on).toBe('function');
      }),
    ),
    check(group, 'answers waitForResponse on a live node', quick, () =>
      withOsModule(options, async (module) => {
        await module.waitForResponse({ node: options.node(), timeoutMs: quick });
      }),
    ),
    check(group, 'waits out its bound on an unreachable node, then raises a TimeoutError naming the node', Math.max(quick, bound * 20), () =>
      withOsModule(options, async (module) => {
        const node = options.unreachableNode();
        const started = Date.now();
        const error = await expectErrorCode(module.waitForResponse({ node, timeoutMs: bound }), 'TIMEOUT');
        expect((error as unknown as { awaited: string }).awaited).toContain(node.name);
        expect(Date.now() - started).toBeGreaterThanOrEqual(bound - 50);
      }),
    ),
    check(group, 'stops waiting as soon as the signal aborts', quick, () =>
      withOsModule(options, async (module) => {
        const controller = new AbortController();
        const waiting = expectErrorCode(module.waitForResponse({ node: options.unreachableNode(), timeoutMs: 600_000, signal: controller.signal }), 'ABORTED');
        controller.abort();
        await waiting;
      }),
    ),
  ];
}
