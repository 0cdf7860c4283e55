import type { NodeSpec, OsModuleV1, ProvisionerV1 } from '@provkit/core';
import { expect } from 'vitest';
import { check, type KitCheck } from '../kit/check.ts';
import { expectRefusedQuietly } from '../kit/expect-refusals.ts';
import { recordEvents } from '../kit/record-events.ts';
import { expectErrorCode, expectExplained } from '../kit/test-api.ts';
import { expectAbsent, timeouts, withProvisioner } from './fixture.ts';
import type { ProvisionerKitOptions } from './options.ts';

const BAD_NODE_NAMES = ['bad name;reboot', '../etc', '', '-rf'];
const BAD_IMAGES = ['no-revision', '../etc/passwd-v1', 'x;rm -rf /-v1', 'a b-v1'];

type Refusals = (provisioner: ProvisionerV1, node: NodeSpec, image: string, osModule: { osModule?: OsModuleV1 }) => Array<Promise<unknown>>;

const badNodes = (node: NodeSpec): NodeSpec[] => [...BAD_NODE_NAMES.map((name) => ({ ...node, name })), { ...node, address: { host: 'a b;reboot', port: 22 } }];

/** Hostile input per operation; each must be refused before anything happens on the host. */
const OPERATIONS: Record<string, Refusals> = {
  load: (p, node, image, osModule) => [
    ...badNodes(node).map((bad) => p.load({ node: bad, image, ...osModule })),
    ...BAD_IMAGES.map((bad) => p.load({ node, image: bad, ...osModule })),
    p.load({ node, image, size: { cpus: 1, memoryBytes: 0 }, ...osModule }),
    p.load({ node, image, size: { cpus: 0, memoryBytes: 1 << 30 }, ...osModule }),
    p.load({ node, image, ifExists: 'sometimes' as never, ...osModule }),
    p.load({ node, image, bootTimeoutMs: -1, ...osModule }),
    p.load({ node, image, customization: { users: [{ username: 'conformance', password: 'plain text' as never }] }, ...osModule }),
    p.load({ node, image, customization: { users: [{ username: 'bad;name' }] }, ...osModule }),
  ],
  capture: (p, node) => [...badNodes(node).map((bad) => p.capture({ node: bad, image: 'conformance-v1' })), ...BAD_IMAGES.map((bad) => p.capture({ node, image: bad })), p.capture({ node, image: 'conformance-v1', endState: 'sideways' as never })],
  unload: (p, node) => badNodes(node).map((bad) => p.unload({ node: bad })),
  nodeStatus: (p, node) => [...badNodes(node).map((bad) => p.nodeStatus({ node: bad })), ...BAD_IMAGES.map((bad) => p.nodeStatus({ node, image: bad })), p.nodeStatus({ node, sshTimeoutMs: 0 })],
  powerOn: (p, node) => badNodes(node).map((bad) => p.powerOn({ node: bad })),
  powerOff: (p, node) => [...badNodes(node).map((bad) => p.powerOff({ node: bad })), p.powerOff({ node, mode: 'gentle' as never }), p.powerOff({ node, timeoutMs: -1 })],
  powerReset: (p, node) => badNodes(node).map((bad) => p.powerReset({ node: bad })),
  powerStatus: (p, node) => badNodes(node).map((bad) => p.powerStatus({ node: bad })),
  getCurrentImage: (p, node) => badNodes(node).map((bad) => p.getCurrentImage({ node: bad })),
  doesImageExist: (p) => BAD_IMAGES.map((image) => p.doesImageExist({ image })),
  getImageSize: (p) => BAD_IMAGES.map((image) => p.getImageSize({ image })),
  deleteImage: (p) => BAD_IMAGES.map((image) => p.deleteImage({ image })),
  retrieveImage: (p) => BAD_IMAGES.map((image) => p.retrieveImage({ image, from: p })),
  listImages: (p) => [p.listImages({ base: 'bad;base' }), p.listImages({ base: '../etc' })],
};

/** Every operation that takes a signal, called with one already aborted. */
const ABORTABLE: Record<string, (p: ProvisionerV1, node: NodeSpec, image: string, signal: AbortSignal, fresh: string, osModule: { osModule?: OsModuleV1 }) => Promise<unknown>> = {
  load: (p, node, image, signal, _fresh, osModule) => p.load({ node, image, signal, ...osModule }),
  capture: (p, node, _image, signal, fresh) => p.capture({ node, image: fresh, signal, skipPreCapture: true }),
  unload: (p, node, _image, signal) => p.unload({ node, signal }),
  nodeStatus: (p, node, image, signal) => p.nodeStatus({ node, image, signal }),
  powerOn: (p, node, _image, signal) => p.powerOn({ node, signal }),
  powerOff: (p, node, _image, signal) => p.powerOff({ node, signal }),
  powerReset: (p, node, _image, signal) => p.powerReset({ node, signal }),
  powerStatus: (p, node, _image, signal) => p.powerStatus({ node, signal }),
  getCurrentImage: (p, node, _image, signal) => p.getCurrentImage({ node, signal }),
  doesImageExist: (p, _node, image, signal) => p.doesImageExist({ image, signal }),
  getImageSize: (p, _node, image, signal) => p.getImageSize({ image, signal }),
  listImages: (p, _node, _image, signal) => p.listImages({ signal }),
  deleteImage: (p, _node, _image, signal, fresh) => p.deleteImage({ image: fresh, signal }),
};

/** Bad input refused per operation with INVALID_INPUT and zero events; an aborted signal honoured first. */
export function provisionerInputChecks(options: ProvisionerKitOptions): KitCheck[] {
  const group = 'ProvisionerV1 input';
  const { quick } = timeouts(options);
  const refusals = Object.entries(OPERATIONS).map(([operation, calls]) =>
    check(group, `refuses hostile input to ${operation} with INVALID_INPUT, before any command or progress event`, quick, () =>
      withProvisioner(options, async (provisioner) => {
        const node = await options.newNode();
        await expectRefusedQuietly(provisioner.events, operation, () => calls(provisioner, node, options.image, options.osModule ? { osModule: options.osModule } : {}));
        await expectAbsent(provisioner, node);
      }),
    ),
  );
  const aborted = check(group, 'honours an already-aborted signal in every operation: ABORTED before anything else, no command, nothing created', quick, () =>
    withProvisioner(options, async (provisioner) => {
      const node = await options.newNode();
      const controller = new AbortController();
      controller.abort(new Error('conformance abort'));
      const { events, stop } = recordEvents(provisioner.events);
      try {
        for (const [operation, call] of Object.entries(ABORTABLE)) {
          const error = await expectErrorCode(call(provisioner, node, options.image, controller.signal, options.newImageName(), options.osModule ? { osModule: options.osModule } : {}), 'ABORTED').catch((failure: unknown) => {
            throw new Error(`${operation}: ${failure instanceof Error ? failure.message : String(failure)}`);
          });
          expectExplained(error);
        }
      } finally {
        stop();
      }
      expect(events.filter((event) => event.name === 'command')).toEqual([]);
      await expectAbsent(provisioner, node);
    }),
  );
  return [...refusals, aborted];
}
