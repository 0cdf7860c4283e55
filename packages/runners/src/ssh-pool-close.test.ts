/**
 * A connect that never completes (a TCP server on loopback that accepts and never sends an
 * SSH banner) must not hold the process once it is aborted and the pool closed: the socket is
 * destroyed at close, not when the connect timeout runs out.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, ConnectionError, Secret } from '@provkit/core';
import { SshPool } from './ssh-pool.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that accepts connections and never says anything; resolves each accepted socket. */
async function silentServer(): Promise<{ port: number; accepted: Promise<Socket> }> {
  let accept!: (socket: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  server = createServer((socket) => accept(socket));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, accepted };
}

function sockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
}

describe('SshPool close during a connect', () => {
  it('destroys an aborted connect when closed, leaving no socket or connect timer behind', async () => {
    const { port, accepted } = await silentServer();
    const before = { sockets: sockets(), timers: process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length };
    // A long connect timeout: only close() can end this connect within the test.
    const pool = new SshPool({ connectTimeoutMs: 600_000 });
    const runner = pool.runner({ host: '127.0.0.1', port, username: 'nobody', password: Secret.of('unused'), hostKey: { kind: 'insecure-accept-any' } });
    const controller = new AbortController();
    const running = runner.run(['true'], { signal: controller.signal });
    const serverSide = await accepted;
    const serverSideClosed = new Promise<void>((resolve) => serverSide.once('close', () => resolve()));
    serverSide.resume();
    controller.abort(new Error('caller gave up'));
    await expect(running).rejects.toBeInstanceOf(AbortedError);

    await pool.close();
    // The server sees the client's socket go away: the client destroyed it.
    await serverSideClosed;
    serverSide.destroy();
    expect(sockets()).toBe(before.sockets);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBeLessThanOrEqual(before.timers);
  });

  it('fails a connect that is closed while waiting, with a typed, non-retryable error', async () => {
    const { port, accepted } = await silentServer();
    const pool = new SshPool({ connectTimeoutMs: 600_000 });
    const runner = pool.runner({ host: '127.0.0.1', port, username: 'nobody', password: Secret.of('unused'), hostKey: { kind: 'insecure-accept-any' } });
    const running = runner.run(['true']);
    const serverSide = await accepted;
    serverSide.resume();
    await pool.close();
    const error = await running.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ isRetryable: false, message: expect.stringContaining('the pool was closed') });
    serverSide.destroy();
  });

  it('marks a host name that does not resolve as not retryable', async () => {
    const pool = new SshPool({ connectTimeoutMs: 10_000 });
    const runner = pool.runner({ host: 'no-such-host.invalid', username: 'nobody', password: Secret.of('unused'), hostKey: { kind: 'insecure-accept-any' } });
    const error = await runner.run(['true']).catch((caught: unknown) => caught);
    await pool.close();
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ isRetryable: false, message: expect.stringContaining('ENOTFOUND') });
  });
});
