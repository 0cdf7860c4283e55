import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A loopback TCP forwarder that knows the source port of each connection it made upstream. */
export interface TcpTap {
  port: number;
  /** Local ports of the upstream connections, in order: what the server logs as `port N`. */
  readonly upstreamPorts: readonly number[];
  close(): Promise<void>;
}

/**
 * Forwards `127.0.0.1:<port>` to `host:port`. The lab sshd is shared by every test running on
 * the machine, so its log is only evidence about this test's connections when they can be told
 * apart: by the source port the tap used.
 */
export async function startTcpTap(host: string, port: number): Promise<TcpTap> {
  const upstreamPorts: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = connect(port, host);
    sockets.add(downstream).add(upstream);
    upstream.once('connect', () => upstreamPorts.push(upstream.localPort!));
    downstream.pipe(upstream).pipe(downstream);
    const close = (): void => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    downstream.once('close', close).on('error', close);
    upstream.once('close', close).on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    upstreamPorts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
