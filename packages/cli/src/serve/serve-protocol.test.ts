/**
 * `provkit serve`'s protocol, against the real command run as a child process, with a
 * provisioner and OS module that need no host (test-support/serve-module, installed into a
 * project folder as a third-party module would be).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServe, type ServeChild } from '../../test-support/serve-child.ts';

let project: string;
let callsFile: string;
let server: ServeChild | undefined;

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'provkit-serve-'));
  const installed = join(project, 'node_modules', 'provkit-serve-test-module');
  mkdirSync(installed, { recursive: true });
  cpSync(join(import.meta.dirname, '..', '..', 'test-support', 'serve-module'), installed, { recursive: true });
  callsFile = join(project, 'calls.log');
  writeFileSync(callsFile, '');
  writeFileSync(
    join(project, 'provkit.yaml'),
    `provisioner: { kind: "module:provkit-serve-test-module", callsFile: ${JSON.stringify(callsFile)} }\nos: { kind: "module:provkit-serve-test-module", callsFile: ${JSON.stringify(callsFile)} }\nnodes: { web-1: { address: { host: 192.0.2.5, port: 2201 } } }\n`,
  );
  writeFileSync(join(project, 'no-os.yaml'), `provisioner: { kind: "module:provkit-serve-test-module", callsFile: ${JSON.stringify(callsFile)} }\n`);
});

afterEach(async () => {
  if (server && server.child.exitCode === null) {
    server.child.stdin.end();
    await server.exited;
  }
  server = undefined;
});

const calls = (): string[] => readFileSync(callsFile, 'utf8').split('\n').filter(Boolean);
const start = (config = 'provkit.yaml', args: string[] = []): ServeChild => (server = startServe({ cwd: project, config, args }));

describe('provkit serve', () => {
  it('answers requests with the operation results, resolving nodes from the configuration, over one long-lived process', async () => {
    const serve = start();
    expect(await serve.request(1, 'provisioner.nodeStatus', { node: 'web-1', image: 'wanted-v1' })).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { status: 'ready', power: 'on', ssh: true, currentImage: 'wanted-v1', detail: 'address 192.0.2.5' },
    });
    expect((await serve.request('b', 'provisioner.nodeStatus', { node: { name: 'web-1', address: { host: '198.51.100.9' } } })).result.detail).toBe('address 198.51.100.9');
    expect((await serve.request(2, 'provisioner.powerStatus', { node: 'web-1' })).result).toBe('on');
    expect((await serve.request(3, 'provisioner.getCurrentImage', { node: 'blank' })).result).toBeNull();
    expect((await serve.request(4, 'provisioner.getImageSize', { image: 'wanted-v1' })).result).toEqual({ virtualBytes: 2097152, allocatedBytes: 1048576 });
    expect((await serve.request(5, 'provisioner.doesImageExist', { image: 'other-v1' })).result).toBe(false);
    expect((await serve.request(6, 'os.preCapture', { node: 'web-1' })).result).toEqual({ operations: [{ name: 'machine-id', changed: true, detail: 'emptied' }], endState: 'off' });
    expect((await serve.request(7, 'os.grantAccess', { node: 'web-1', remoteIp: '203.0.113.7', ports: [22] })).result).toBeNull();
    // Whose passwords changed, never the passwords.
    const randomized = await serve.request(8, 'os.randomizeAdminPasswords', { node: 'web-1' });
    expect(randomized.result).toEqual({ accounts: ['root'] });
    expect(JSON.stringify(serve.messages)).not.toContain('Random-Secret-1');
    expect(calls()).toEqual(['nodeStatus web-1', 'nodeStatus web-1', 'powerStatus web-1', 'getCurrentImage blank', 'getImageSize wanted-v1', 'doesImageExist other-v1', 'preCapture web-1', 'grantAccess web-1 203.0.113.7 22', 'randomizeAdminPasswords web-1']);
  });

  it('sends progress as $/progress notifications carrying the request id, before the response', async () => {
    const serve = start();
    const response = await serve.request(11, 'provisioner.load', { node: 'web-1', image: 'wanted-v1' });
    expect(response.result).toEqual({ node: 'web-1', image: 'wanted-v1', durationMs: 1 });
    const progress = serve.messages.filter((message) => message.method === '$/progress');
    expect(progress.map((message) => [message.params.id, message.params.event.step])).toEqual([
      [11, 'started'],
      [11, 'load-done'],
    ]);
    expect(serve.messages.indexOf(progress[1]!)).toBeLessThan(serve.messages.indexOf(response));
  });

  it("answers a provkit failure as a JSON-RPC error whose data carries provkit's code, step, reason and retryable flag", async () => {
    const serve = start();
    expect(await serve.request(21, 'provisioner.load', { node: 'web-1', image: 'broken-v1' })).toEqual({
      jsonrpc: '2.0',
      id: 21,
      error: {
        code: -32000,
        message: 'load failed at step machine-booted: web-1 did not answer SSH',
        data: { code: 'OPERATION_FAILED', step: 'machine-booted', reasonCode: 'TIMEOUT', retryable: true, message: 'load failed at step machine-booted: web-1 did not answer SSH' },
      },
    });
    expect((await serve.request(22, 'provisioner.getCurrentImage', { node: 'gone' })).error).toMatchObject({ code: -32000, data: { code: 'NODE_NOT_FOUND', retryable: false } });
  });

  it('never sends back a password the request carried, even when the module puts it in its error', async () => {
    const serve = start();
    const response = await serve.request(31, 'os.setPassword', { node: 'web-1', username: 'alice', password: 'Canary-Pass-31' });
    expect(response.error).toMatchObject({ code: -32000, message: 'chpasswd refused alice:[redacted]', data: { code: 'COMMAND_FAILED' } });
    expect(JSON.stringify(serve.messages)).not.toContain('Canary-Pass-31');
    expect(serve.stderr()).not.toContain('Canary-Pass-31');
  });

  it('refuses invalid JSON, invalid requests, unknown methods and bad params with their standard codes, before any side effect', async () => {
    const serve = start();
    serve.sendLine('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(await serve.next((message) => message.error?.code === -32700)).toMatchObject({ id: null, error: { code: -32700 } });
    serve.sendLine(JSON.stringify({ id: 40, method: 'provisioner.load' }));
    expect(await serve.next((message) => message.error?.code === -32600)).toMatchObject({ error: { code: -32600 } });
    expect((await serve.request(41, 'provisioner.explode', { node: 'web-1' })).error).toMatchObject({ code: -32601 });
    expect((await serve.request(42, 'provisioner.load', { node: 'web-1' })).error).toMatchObject({ code: -32602, data: { code: 'INVALID_INPUT', field: 'params.image', retryable: false } });
    expect((await serve.request(43, 'provisioner.load', { node: 'web-1', image: 'wanted-v1', cpus: 4 })).error).toMatchObject({ code: -32602, data: { code: 'INVALID_INPUT', field: 'params' } });
    expect((await serve.request(44, 'provisioner.powerOff', { node: 'web-1', mode: 'gentle' })).error).toMatchObject({ code: -32602, data: { field: 'params.mode' } });
    expect((await serve.request(45, 'os.grantAccess', { node: 'web-1', remoteIp: '203.0.113.7', ports: [] })).error).toMatchObject({ code: -32602, data: { field: 'params.ports' } });
    expect((await serve.request(46, 'provisioner.unload', 'web-1')).error).toMatchObject({ code: -32602, data: { code: 'INVALID_INPUT' } });
    expect(calls()).toEqual([]);
  });

  it('answers os.* methods with a typed error when the configuration has no os section', async () => {
    const serve = start('no-os.yaml');
    expect((await serve.request(51, 'os.readCurrentImage', { node: 'web-1' })).error).toMatchObject({ code: -32001, data: { code: 'INVALID_INPUT', field: 'os' } });
    expect(calls()).toEqual([]);
  });

  it("cancels a running request on $/cancel: its signal aborts, its clean-up runs, and it answers ABORTED while other requests carry on", async () => {
    const serve = start();
    const loading = serve.request(61, 'provisioner.load', { node: 'web-1', image: 'hang-v1' });
    await serve.next((message) => message.method === '$/progress' && message.params.id === 61);
    expect((await serve.request(62, 'provisioner.powerStatus', { node: 'web-1' })).result).toBe('on');
    serve.notify('$/cancel', { id: 61 });
    expect((await loading).error).toMatchObject({ code: -32000, data: { code: 'ABORTED', retryable: false } });
    expect((await loading).error.message).toContain('cancelled by the client');
    expect(calls()).toEqual(['load web-1 hang-v1', 'powerStatus web-1', 'cleanup web-1']);
  });

  it('when the client dies mid-operation (stdin closes), aborts the running operation, lets its clean-up finish, closes the modules and exits 0', async () => {
    const serve = start();
    void serve.request(71, 'provisioner.load', { node: 'web-1', image: 'hang-v1' }).catch(() => undefined);
    await serve.next((message) => message.method === '$/progress' && message.params.id === 71);
    serve.child.stdin.end();
    expect(await serve.exited).toBe(0);
    expect(calls()).toEqual(['load web-1 hang-v1', 'cleanup web-1', 'close provisioner', 'close os']);
  });

  it('when the client is killed mid-operation (both pipes gone), still lets the clean-up finish and exits 0, though its answer has nowhere to go', async () => {
    const serve = start();
    void serve.request(75, 'provisioner.load', { node: 'web-1', image: 'hang-v1' }).catch(() => undefined);
    await serve.next((message) => message.method === '$/progress' && message.params.id === 75);
    // What a killed client leaves: its read end closed (writes fail with EPIPE) and its write end closed.
    serve.child.stdout.destroy();
    serve.child.stdin.end();
    expect(await serve.exited).toBe(0);
    expect(calls()).toEqual(['load web-1 hang-v1', 'cleanup web-1', 'close provisioner', 'close os']);
  });

  it('exits 1 when an aborted operation outlives the drain bound', async () => {
    const serve = start('provkit.yaml', ['--drain-timeout', '1']);
    void serve.request(81, 'provisioner.load', { node: 'web-1', image: 'hang-v1' }).catch(() => undefined);
    await serve.next((message) => message.method === '$/progress' && message.params.id === 81);
    serve.child.stdin.end();
    expect(await serve.exited).toBe(1);
    expect(serve.stderr()).toContain('still running 1 ms after the client left');
  });
});
