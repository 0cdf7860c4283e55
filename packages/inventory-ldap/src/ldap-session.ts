import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { AbortedError, checkObject, describeValue, checkOptionalTimeoutMs, checkPrintableText, InvalidInputError, ProvkitError, Secret, createEmitter, throwIfAborted, type ProvkitEmitter } from '@provkit/core';
import { Attribute, Change, Client, type Entry } from 'ldapts';
import { translateLdapError } from './ldap-errors.ts';

/**
 * TLS settings. The server's certificate is always verified (against `caFile`/`ca`, else the
 * system's CAs, and against the URL's host or `servername`) unless the loudly named
 * `insecureSkipTlsVerify: true` is given, which emits a `warning` on every connection.
 */
export interface LdapTlsOptions {
  /** Upgrade an `ldap://` connection with StartTLS before binding. `ldaps://` URLs use TLS anyway. */
  startTls?: boolean;
  /** PEM file of the CA that signed the server's certificate. */
  caFile?: string;
  /** PEM text of that CA (instead of `caFile`). */
  ca?: string;
  /**
   * Accept any certificate for any name. Anyone on the path can then pose as the directory
   * and read the bind password: only for throwaway test servers. Emits a `warning` event on
   * every connection. Cannot be combined with `caFile`/`ca`.
   */
  insecureSkipTlsVerify?: boolean;
  /** Name to verify the certificate against, when it differs from the URL's host. */
  servername?: string;
}

/** How to reach and authenticate to the directory. */
export interface LdapConnectionOptions {
  /** `ldap://host:port` (give `tls.startTls` or `allowPlaintextBind`) or `ldaps://host:port`. */
  url: string;
  bindDN: string;
  password: Secret;
  tls?: LdapTlsOptions | undefined;
  /**
   * A simple bind sends the password as is. Over `ldap://` without `tls.startTls` that is in
   * clear text, so it is refused (`InvalidInputError` on `tls`) unless this is `true` (SSSD
   * refuses the same way; slapd's `security simple_bind=` is the server-side twin). When
   * allowed, every connection emits a `warning` event. Ignored when the connection uses TLS.
   */
  allowPlaintextBind?: boolean;
  /** Receives a `warning` on each connection made with verification off or a plain-text bind. */
  events?: ProvkitEmitter;
  /** Bound on each operation (default 10 s). */
  timeoutMs?: number;
  /** Bound on establishing the connection (default 5 s). */
  connectTimeoutMs?: number;
}

/** One attribute change of a modify. */
export interface LdapChange {
  operation: 'add' | 'delete' | 'replace';
  type: string;
  values: readonly string[];
}

/** Search parameters. */
export interface LdapSearch {
  scope: 'base' | 'one' | 'sub';
  filter: string;
  attributes?: readonly string[];
}

/**
 * The wire: one bound ldapts connection, re-established (StartTLS, then bind) when lost.
 * Every call checks `signal`, is bounded by the operation timeout, and throws provkit's
 * typed errors. Operations run concurrently on the one connection (LDAP message ids).
 */
export class LdapSession {
  readonly url: string;
  /** Where the connection warnings go (the given `events`, else a new emitter). */
  readonly events: ProvkitEmitter;
  readonly #options: LdapConnectionOptions;
  readonly #timeoutMs: number;
  readonly #tls: ConnectionOptions | undefined;
  readonly #warning: string | undefined;
  #client: Client | undefined;
  #ready: Promise<Client> | undefined;
  #established = false;

  constructor(options: LdapConnectionOptions) {
    checkObject('options', options);
    if (typeof options.url !== 'string' || !/^ldaps?:\/\/([A-Za-z0-9]([A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?\/?$/.test(options.url)) throw new InvalidInputError('url', `expected ldap://host:port or ldaps://host:port, got ${describeValue(options.url)}`);
    if (typeof options.bindDN !== 'string' || options.bindDN.length === 0) throw new InvalidInputError('bindDN', 'is required');
    checkPrintableText('bindDN', options.bindDN);
    checkOptionalTimeoutMs('timeoutMs', options.timeoutMs, { min: 1 });
    checkOptionalTimeoutMs('connectTimeoutMs', options.connectTimeoutMs, { min: 1 });
    if (options.tls !== undefined) checkObject('tls', options.tls);
    if (!Secret.isSecret(options.password)) throw new InvalidInputError('password', 'must be a Secret (Secret.of(...))');
    this.url = options.url.replace(/\/$/, '');
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const secure = this.url.startsWith('ldaps:') || options.tls?.startTls === true;
    if (options.tls && !secure) throw new InvalidInputError('tls', 'TLS options need an ldaps:// URL or startTls: true');
    if (!secure && options.allowPlaintextBind !== true) {
      throw new InvalidInputError('tls', `a simple bind over ${this.url} would send the password in clear text; use an ldaps:// URL or tls: { startTls: true }, or allowPlaintextBind: true for a directory that only listens in clear`);
    }
    this.#tls = secure ? tlsOptions(options.tls ?? {}) : undefined;
    this.events = options.events ?? createEmitter();
    if (!secure) this.#warning = `LDAP simple bind as ${options.bindDN} to ${this.url} sends the password in clear text (allowPlaintextBind: no ldaps:// or StartTLS)`;
    else if (options.tls?.insecureSkipTlsVerify === true) this.#warning = `LDAP TLS certificate verification of ${this.url} is OFF (insecureSkipTlsVerify): anyone on the path can pose as the directory and read the bind password`;
  }

  async search(base: string, search: LdapSearch, signal?: AbortSignal): Promise<Entry[]> {
    const result = await this.#run('search', signal, (client) =>
      client.search(base, { scope: search.scope, filter: search.filter, attributes: search.attributes ? [...search.attributes] : ['*'] }),
    );
    return result.searchEntries;
  }

  async add(dn: string, attributes: Record<string, string[]>, signal?: AbortSignal): Promise<void> {
    await this.#run('add', signal, (client) => client.add(dn, attributes));
  }

  /** One modify request: its changes apply all or none (RFC 4511 §4.6). */
  async modify(dn: string, changes: readonly LdapChange[], signal?: AbortSignal): Promise<void> {
    const request = changes.map((change) => new Change({ operation: change.operation, modification: new Attribute({ type: change.type, values: [...change.values] }) }));
    await this.#run('modify', signal, (client) => client.modify(dn, request));
  }

  async delete(dn: string, signal?: AbortSignal): Promise<void> {
    await this.#run('delete', signal, (client) => client.del(dn));
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#ready = undefined;
    if (client?.isConnected) await client.unbind().catch(() => undefined);
  }

  async #run<T>(operation: string, signal: AbortSignal | undefined, body: (client: Client) => Promise<T>): Promise<T> {
    throwIfAborted(signal, `LDAP ${operation}`);
    const work = (async () => body(await this.#connected()))().catch((error: unknown) => {
      throw ProvkitError.isInstance(error) ? error : translateLdapError(error, this.url, operation, this.#timeoutMs);
    });
    if (!signal) return work;
    // The request may still complete on the server after an abort; the caller is told it was
    // abandoned, as with any cancelled network call.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new AbortedError(`LDAP ${operation}`, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
      work.catch(() => undefined);
    }
  }

  async #connected(): Promise<Client> {
    // A connection that was bound and is no longer (dropped, reset) is made again from scratch,
    // so StartTLS and the bind are never skipped on a silent reconnect.
    if (this.#ready && this.#established && !(this.#client?.isConnected && this.#client.isBound)) this.#ready = undefined;
    this.#ready ??= this.#connect().then(
      (client) => {
        this.#established = true;
        return client;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async #connect(): Promise<Client> {
    this.#established = false;
    const previous = this.#client;
    if (previous?.isConnected) await previous.unbind().catch(() => undefined);
    const ldaps = this.url.startsWith('ldaps:');
    const client = new Client({
      url: this.url,
      timeout: this.#timeoutMs,
      connectTimeout: this.#options.connectTimeoutMs ?? 5_000,
      ...(ldaps && this.#tls ? { tlsOptions: this.#tls } : {}),
    });
    this.#client = client;
    if (this.#warning !== undefined) this.events.emit('warning', { operation: 'ldap-connect', message: this.#warning });
    try {
      if (!ldaps && this.#tls) await client.startTLS(this.#tls);
      await client.bind(this.#options.bindDN, this.#options.password.reveal());
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw translateLdapError(error, this.url, this.#tls && !ldaps ? 'StartTLS and bind' : 'bind', this.#timeoutMs);
    }
    return client;
  }
}

function tlsOptions(tls: LdapTlsOptions): ConnectionOptions {
  // JavaScript callers of the earlier option get told, not silently verified or not.
  if ('rejectUnauthorized' in tls) throw new InvalidInputError('tls.rejectUnauthorized', 'is not an option; verification is always on unless insecureSkipTlsVerify: true');
  if (tls.insecureSkipTlsVerify !== undefined && typeof tls.insecureSkipTlsVerify !== 'boolean') throw new InvalidInputError('tls.insecureSkipTlsVerify', 'must be true or false');
  if (tls.insecureSkipTlsVerify === true && (tls.caFile !== undefined || tls.ca !== undefined)) {
    throw new InvalidInputError('tls.insecureSkipTlsVerify', 'contradicts caFile/ca: either verify against a CA or skip verification');
  }
  const options: ConnectionOptions = { rejectUnauthorized: tls.insecureSkipTlsVerify !== true };
  if (tls.caFile !== undefined) {
    try {
      options.ca = readFileSync(tls.caFile, 'utf8');
    } catch (error) {
      throw new InvalidInputError('tls.caFile', `cannot read ${tls.caFile}: ${(error as Error).message}`, { cause: error });
    }
  } else if (tls.ca !== undefined) options.ca = tls.ca;
  if (tls.servername !== undefined) options.servername = tls.servername;
  return options;
}
