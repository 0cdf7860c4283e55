import { createHash } from 'node:crypto';
import { VimClient, type VimCallOptions, type VimClientOptions } from './vim-client.ts';

/** A client shared by every user of one endpoint with the same credentials and TLS settings. */
export interface SharedVimClient {
  client: VimClient;
  /** Gives the client back; the last user's release logs out (observed by `options.onRequest`) and closes the connections. */
  release(options?: Pick<VimCallOptions, 'onRequest'>): Promise<void>;
}

const shared = new Map<string, { client: VimClient; users: number }>();

function keyOf(options: VimClientOptions): string {
  // The password is part of the identity (a different one must not ride on another's session),
  // kept only as a hash.
  const password = createHash('sha256').update(options.password.reveal()).digest('hex');
  return JSON.stringify([options.url, options.username, password, options.tls ?? {}, options.maxConcurrentRequests, options.maxConcurrentWaits, options.requestTimeoutMs, options.keepAliveIntervalMs]);
}

/**
 * One vSphere session per endpoint in this process: provisioners (and anything else) asking
 * for the same endpoint, user, password and TLS settings get the same {@link VimClient}.
 */
export function acquireVimClient(options: VimClientOptions): SharedVimClient {
  const key = keyOf(options);
  let entry = shared.get(key);
  if (entry === undefined) {
    entry = { client: new VimClient(options), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    client: held.client,
    release: async (options = {}) => {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      if (shared.get(key) === held) shared.delete(key);
      await held.client.close(options);
    },
  };
}
