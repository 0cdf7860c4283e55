import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError } from '@provkit/core';
import { waitForSshBanner, waitForSshGreeting } from './ssh-banner.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

function listen(onConnection: (socket: import('node:net').Socket, count: number) => void): Promise<number> {
  let count = 0;
  const server = createServer((socket) => onConnection(socket, ++count));
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('waitForSshBanner', () => {
  it('treats accept-then-close as not yet and returns the identification line once greeted', async () => {
    // Like QEMU's forward before the guest listens: the first probes are accepted and closed.
    let probes = 0;
    const port = await listen((socket, count) => {
      probes = count;
      if (count < 4) return void socket.destroy();
      socket.write('a pre-banner line\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n');
    });
    expect(await waitForSshBanner({ host: '127.0.0.1', port, timeoutMs: 5000, probeIntervalMs: 50 })).toBe('SSH-2.0-OpenSSH_9.2p1 Debian');
    expect(probes).toBe(4);
  });

  it('gives up a probe left silent past its bound and gets the banner from the next one, closing the silent connection', async () => {
    // Like QEMU's forward before the guest's network is up: the first connection is accepted
    // and left silent; only a later one reaches sshd.
    let firstClosedByProbe = false;
    const port = await listen((socket, count) => {
      if (count === 1) return void socket.on('close', () => (firstClosedByProbe = true));
      socket.write('SSH-2.0-OpenSSH_9.2p1 Debian\r\n');
    });
    // Without the probe's own bound (300 ms) the silent connection would hold the wait past its deadline (3 s).
    expect(await waitForSshBanner({ host: '127.0.0.1', port, timeoutMs: 3000, probeIntervalMs: 50, probeTimeoutMs: 300 })).toBe('SSH-2.0-OpenSSH_9.2p1 Debian');
    expect(firstClosedByProbe).toBe(true);
  });

  it('keeps the greeted connection open with everything the server sent still unread, for a client to take over', async () => {
    const port = await listen((socket) => {
      socket.write('a pre-banner line\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n');
      socket.on('data', (chunk) => socket.write(`echo:${chunk.toString()}`));
    });
    const greeting = await waitForSshGreeting({ host: '127.0.0.1', port, timeoutMs: 3000 });
    expect(greeting.banner).toBe('SSH-2.0-OpenSSH_9.2p1 Debian');
    const received: Buffer[] = [];
    greeting.socket.on('data', (chunk: Buffer) => received.push(chunk));
    greeting.socket.resume();
    greeting.socket.write('SSH-2.0-client\r\n');
    await expect.poll(() => Buffer.concat(received).toString()).toBe('a pre-banner line\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\necho:SSH-2.0-client\r\n');
    greeting.socket.destroy();
  });

  it('times out naming what it awaited when no banner ever comes', async () => {
    const port = await listen((socket) => socket.destroy());
    const error = await waitForSshBanner({ host: '127.0.0.1', port, timeoutMs: 400 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).awaited).toBe(`the SSH banner of 127.0.0.1:${port}`);
  });
});
