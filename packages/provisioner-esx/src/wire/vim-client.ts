import { EventEmitter } from 'node:events';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { AbortedError, checkPositiveInteger, ConnectionError, InvalidInputError, ProvkitError, redact, RemoteFaultError, Semaphore, TimeoutError, type ProvkitEmitter, type Secret, describeValue } from '@provkit/core';
import { parseSoapResponse, type SoapFault, type XmlNode, type VimRequest } from '../translation/envelope.ts';
import { faultToError, type FaultContext } from '../translation/faults.ts';
import * as requests from '../translation/vim-requests.ts';
import { parseServiceContent, parseReturnedMoRef, type ServiceContent } from '../translation/vim-responses.ts';
import type { MoRef } from '../translation/xml.ts';
import { tlsVerifier, type TlsVerifier, type VimTlsOptions } from './tls-verification.ts';

/** Options of {@link VimClient}. */
export interface VimClientOptions {
  /** The SDK endpoint, `https://vcenter.example.org/sdk`. */
  url: string;
  username: string;
  password: Secret;
  tls?: VimTlsOptions;
  /** Bound on requests in flight, long polls excluded (default 8). */
  maxConcurrentRequests?: number;
  /** Bound on concurrent `WaitForUpdatesEx` long polls (default 8). */
  maxConcurrentWaits?: number;
  /** Timeout of one request (default 120 s). */
  requestTimeoutMs?: number;
  /**
   * Session keep-alive: while logged in and idle this long, the client calls `CurrentTime`,
   * so vCenter's idle-session timeout (30 min by default) never drops the session and the
   * property collectors tied to it. Default 10 min; 0 turns it off (a dropped session is
   * still re-established on the next call).
   */
  keepAliveIntervalMs?: number;
  /** Receives a `warning` when TLS verification is off. */
  events?: ProvkitEmitter;
}

/** One SOAP request as sent, for counting and timing (never its body, cookie or password). */
export interface VimRequestEvent {
  method: string;
  /** The managed object the method was called on. */
  object: MoRef;
  durationMs: number;
  /** HTTP status, or `undefined` when no response came. */
  status: number | undefined;
  /** Why it failed: the vim25 fault (`type: message`) or the transport failure; absent on success. */
  error?: string;
}

/** Per-call options. */
export interface VimCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Names the node/image concerned, for typed faults. */
  context?: Omit<FaultContext, 'method'>;
  /**
   * The session generation ({@link CollectorLease.session}) the request's objects belong to
   * (a collector, its filter). Such a request is sent only on that session and never re-sent
   * after a re-login: it throws {@link SessionLostError} instead, as its objects went with the
   * old session.
   */
  session?: number;
  /** Called after each request this call sends (including a login it triggers), besides {@link VimClient.onRequest}. */
  onRequest?: (event: VimRequestEvent) => void;
}

/** A private property collector lent by {@link VimClient.acquireCollector}. */
export interface CollectorLease {
  readonly ref: MoRef;
  /** Generation of the session that made it: the collector dies with that session. */
  readonly session: number;
}

/**
 * A request about objects of a session that is gone (the client logged in again since): it
 * was not sent, or not re-sent, on the new session. Retryable with objects made afresh.
 */
export class SessionLostError extends ConnectionError {
  constructor(host: string, method: string, options?: { cause?: unknown }) {
    super(host, `${method}: the session its objects belonged to was lost and re-established`, options);
    this.name = 'SessionLostError';
  }
}

/** A fault a call raised, kept with its vim25 shape for callers that branch on the type. */
export class VimFault extends Error {
  readonly fault: SoapFault;
  constructor(fault: SoapFault) {
    super(`${fault.type}: ${fault.message}`);
    this.fault = fault;
  }
}

const NO_SESSION_METHODS = new Set(['RetrieveServiceContent', 'Login']);

/**
 * A small vim25 SOAP client over HTTPS: one session per client (logged in on first use,
 * re-established once if the server forgot it), keep-alive connections, a bound on requests
 * in flight, and a counter of requests sent. Faults become provkit's typed errors.
 */
export class VimClient {
  readonly url: URL;
  /** `user@host:port`, as command events name the endpoint. */
  readonly endpoint: string;
  readonly #username: string;
  readonly #password: Secret;
  readonly #verifier: TlsVerifier;
  readonly #agent: https.Agent;
  readonly #calls: Semaphore;
  readonly #waits: Semaphore;
  readonly #timeoutMs: number;
  readonly #requestEvents = new EventEmitter();
  #requestCount = 0;
  #connectionCount = 0;
  #content: Promise<ServiceContent> | undefined;
  #session: Promise<void> | undefined;
  #cookie: string | undefined;
  #soapAction = 'urn:vim25';
  /** Counts sessions lost: collectors are tied to the generation that made them. */
  #generation = 0;
  #idleCollectors: CollectorLease[] = [];
  #closed = false;
  readonly #keepAliveMs: number;
  #lastSentAt = Date.now();
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: VimClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new InvalidInputError('url', `${describeValue(options.url)} is not a URL`);
    }
    if (url.protocol !== 'https:') throw new InvalidInputError('url', 'the vSphere endpoint must be https (the session cookie and password travel on it)');
    if (url.username || url.password) throw new InvalidInputError('url', 'credentials go in username/password, not in the URL');
    if (typeof options.username !== 'string' || options.username === '') throw new InvalidInputError('username', 'must be a non-empty string');
    this.url = url;
    this.endpoint = `${options.username}@${url.host}`;
    this.#username = options.username;
    this.#password = options.password;
    this.#verifier = tlsVerifier(options.tls);
    if (this.#verifier.insecure) options.events?.emit('warning', { message: `TLS verification of ${url.host} is OFF (insecureSkipTlsVerify): the vSphere session and password are exposed to anyone on the path` });
    const calls = options.maxConcurrentRequests ?? 8;
    const waits = options.maxConcurrentWaits ?? 8;
    this.#calls = new Semaphore(calls);
    this.#waits = new Semaphore(waits);
    this.#timeoutMs = options.requestTimeoutMs ?? 120_000;
    this.#keepAliveMs = options.keepAliveIntervalMs === undefined ? 600_000 : options.keepAliveIntervalMs === 0 ? 0 : checkPositiveInteger('keepAliveIntervalMs', options.keepAliveIntervalMs);
    this.#agent = this.#makeAgent(calls + waits);
  }

  #makeAgent(maxSockets: number): https.Agent {
    const verifier = this.#verifier;
    const host = this.url.host;
    const opened = (): void => {
      this.#connectionCount++;
    };
    const agent = new https.Agent({ keepAlive: true, maxSockets, ...verifier.connectOptions });
    // The socket is handed to the request only after the certificate was checked, so no byte
    // of a request (the login carries the password) is written to an unverified peer.
    agent.createConnection = ((options: tls.ConnectionOptions, callback: (error: Error | null, socket?: net.Socket) => void) => {
      const socket = tls.connect({ ...options, ...verifier.connectOptions });
      opened();
      const onError = (error: Error): void => callback(verifier.mapError(error, host));
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        const refusal = verifier.check(socket, host);
        if (refusal) {
          socket.destroy();
          callback(refusal);
        } else callback(null, socket);
      });
      return undefined;
    }) as unknown as https.Agent['createConnection'];
    return agent;
  }

  /** SOAP requests sent so far (every method, including login and long polls). */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** TLS connections opened so far (kept alive and reused between requests). */
  get connectionCount(): number {
    return this.#connectionCount;
  }

  /** Calls `listener` after each request; returns a function that removes it. */
  onRequest(listener: (event: VimRequestEvent) => void): () => void {
    this.#requestEvents.on('request', listener);
    return () => this.#requestEvents.off('request', listener);
  }

  /** Generation of the current session: incremented each time the server forgot the session. */
  get sessionGeneration(): number {
    return this.#generation;
  }

  /** The service content (fetched once). */
  serviceContent(options: Pick<VimCallOptions, 'signal' | 'onRequest'> = {}): Promise<ServiceContent> {
    this.#content ??= this.call(requests.retrieveServiceContent(), callerOptions(options)).then((result) => {
      const content = parseServiceContent(result);
      if (content.about.apiVersion) this.#soapAction = `urn:vim25/${content.about.apiVersion}`;
      return content;
    });
    this.#content.catch(() => (this.#content = undefined));
    return this.#content;
  }

  /** Logs in now (otherwise the first call does). */
  async login(options: Pick<VimCallOptions, 'signal' | 'onRequest'> = {}): Promise<void> {
    this.#session ??= (async () => {
      const content = await this.serviceContent(options);
      await this.call(requests.login(content.sessionManager, this.#username, this.#password), { ...callerOptions(options), context: {} });
    })();
    this.#session.catch(() => (this.#session = undefined));
    await this.#session;
    this.#startKeepAlive();
  }

  /**
   * Every interval, a session idle for that long gets one `CurrentTime`. The timer is unref'd
   * (it never keeps a process alive) and stops at {@link close}; a failed keep-alive is left
   * to the next real call, which logs in again if the session is gone.
   */
  #startKeepAlive(): void {
    if (this.#keepAliveMs === 0 || this.#keepAlive !== undefined || this.#closed) return;
    this.#keepAlive = setInterval(() => {
      if (this.#closed || this.#session === undefined || Date.now() - this.#lastSentAt < this.#keepAliveMs) return;
      void this.call(requests.currentTime(), { timeoutMs: Math.min(this.#timeoutMs, 30_000) }).catch(() => undefined);
    }, this.#keepAliveMs);
    this.#keepAlive.unref();
  }

  /** Logs out (if logged in) and closes the connections. */
  async close(options: Pick<VimCallOptions, 'onRequest'> = {}): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#keepAlive);
    try {
      if (this.#session && this.#cookie) {
        const content = await this.serviceContent(options);
        await this.call(requests.logout(content.sessionManager), { ...callerOptions(options), timeoutMs: 10_000 }).catch(() => undefined);
      }
    } finally {
      this.#closed = true;
      this.#agent.destroy();
    }
  }

  /** Calls a method and returns the method's response element. Faults throw typed errors. */
  async call(request: VimRequest, options: VimCallOptions = {}): Promise<XmlNode> {
    try {
      return await this.callRaw(request, options);
    } catch (error) {
      if (error instanceof VimFault) throw faultToError(error.fault, { method: request.method, ...options.context });
      throw error;
    }
  }

  /** Like {@link call}, but a fault throws {@link VimFault} with the vim25 fault as is. */
  async callRaw(request: VimRequest, options: VimCallOptions = {}): Promise<XmlNode> {
    if (this.#closed) throw new ConnectionError(this.url.host, 'the client is closed');
    const needsSession = !NO_SESSION_METHODS.has(request.method);
    if (needsSession) await this.login(options);
    const session = this.#session;
    try {
      return await this.#send(request, options);
    } catch (error) {
      // A session the server dropped (restart, idle timeout) is re-established once.
      if (error instanceof VimFault && error.fault.type === 'NotAuthenticated' && session !== undefined && needsSession) {
        if (this.#session === session) this.#dropSession();
        if (options.session !== undefined) throw new SessionLostError(this.url.host, request.method, { cause: error });
        await this.login(options);
        return this.#send(request, options);
      }
      // E.g. ManagedObjectNotFound for a collector of the old session, sent after a re-login.
      if (error instanceof VimFault && options.session !== undefined && options.session !== this.#generation) throw new SessionLostError(this.url.host, request.method, { cause: error });
      throw error;
    }
  }

  /** Forgets the session and everything tied to it (its collectors die with it on the server). */
  #dropSession(): void {
    this.#session = undefined;
    this.#cookie = undefined;
    this.#idleCollectors = [];
    this.#generation++;
  }

  /** Calls a `*_Task` method and returns the task reference. */
  async startTask(request: VimRequest, options: VimCallOptions = {}): Promise<MoRef> {
    const task = parseReturnedMoRef(await this.call(request, options));
    if (task === undefined) throw new RemoteFaultError('InvalidResponse', `${request.method} returned no task`);
    return task;
  }

  /**
   * A private property collector for one wait, of the current session (reused across waits;
   * see {@link releaseCollector}). Calls on it pass its `session`, so that after a re-login they
   * throw {@link SessionLostError} instead of faulting on a collector the server forgot.
   */
  async acquireCollector(options: Pick<VimCallOptions, 'signal' | 'onRequest'> = {}): Promise<CollectorLease> {
    await this.login(options);
    const idle = this.#idleCollectors.pop();
    if (idle) return idle;
    const session = this.#generation;
    const content = await this.serviceContent(options);
    const ref = parseReturnedMoRef(await this.call(requests.createPropertyCollector(content.propertyCollector), { ...callerOptions(options), session }));
    if (ref === undefined) throw new RemoteFaultError('InvalidResponse', 'CreatePropertyCollector returned nothing');
    return { ref, session };
  }

  /**
   * Gives a collector back. Only a healthy one of the current session returns to the pool;
   * an unhealthy one (a poll on it may still be pending, a filter on it failed) is destroyed
   * in the background, bounded; one of a lost session is dropped (it went with the session).
   */
  releaseCollector(collector: CollectorLease, healthy: boolean, options: Pick<VimCallOptions, 'onRequest'> = {}): void {
    if (this.#closed || collector.session !== this.#generation) return;
    if (healthy && this.#session) this.#idleCollectors.push(collector);
    else void this.call(requests.destroyPropertyCollector(collector.ref), { ...callerOptions(options), timeoutMs: 30_000, session: collector.session }).catch(() => undefined);
  }

  /** Runs a long poll within the bound on concurrent waits. */
  longPoll<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#waits.run(task, signal);
  }

  #send(request: VimRequest, options: VimCallOptions): Promise<XmlNode> {
    const run = () => this.#post(request, options);
    return request.method === 'WaitForUpdatesEx' ? run() : this.#calls.run(run, options.signal);
  }

  async #post(request: VimRequest, options: VimCallOptions): Promise<XmlNode> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    // Checked when the request is about to leave (it may have queued across a re-login).
    if (options.session !== undefined && options.session !== this.#generation) throw new SessionLostError(this.url.host, request.method);
    const started = Date.now();
    let status: number | undefined;
    let failure: string | undefined;
    this.#requestCount++;
    this.#lastSentAt = started;
    try {
      const response = await new Promise<{ status: number; body: string; cookie: string | undefined }>((resolve, reject) => {
        const body = Buffer.from(request.body, 'utf8');
        const headers: Record<string, string | number> = {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: `"${this.#soapAction}"`,
          'content-length': body.length,
        };
        if (this.#cookie) headers['cookie'] = this.#cookie;
        const req = https.request(this.url, { method: 'POST', agent: this.#agent, headers, signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const setCookie = res.headers['set-cookie']?.find((line) => line.startsWith('vmware_soap_session='));
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), cookie: setCookie?.split(';')[0] });
          });
        });
        req.on('error', reject);
        req.end(body);
      });
      status = response.status;
      if (response.cookie) this.#cookie = response.cookie;
      // Redacted before cutting, so no prefix of the password survives at the cut.
      if (!response.body.trimStart().startsWith('<')) throw new RemoteFaultError(`HTTP${response.status}`, `${request.method}: ${this.#redact(response.body).slice(0, 200)}`);
      const parsed = parseSoapResponse(response.body, request.method);
      if (parsed.kind === 'fault') throw new VimFault(redactDeep(parsed.fault, (text) => this.#redact(text)));
      return parsed.result;
    } catch (error) {
      failure = error instanceof VimFault ? `${error.fault.type}: ${error.fault.message}` : error instanceof Error ? error.message : String(error);
      if (error instanceof VimFault || ProvkitError.isInstance(error)) throw error;
      if (options.signal?.aborted) throw new AbortedError(`${request.method} on ${this.url.host}`, { cause: error });
      if (deadline.aborted) throw new TimeoutError(`${request.method} on ${this.url.host}`, timeoutMs);
      // A parser's or socket's message may quote what the server sent: it leaves redacted, and
      // the original error (with the same text) is not kept as the cause.
      if (error instanceof SyntaxError) throw new RemoteFaultError('InvalidResponse', this.#redact(error.message));
      const message = error instanceof Error ? error.message : String(error);
      const redacted = this.#redact(message);
      throw new ConnectionError(this.url.host, redacted, redacted === message ? { cause: error } : {});
    } finally {
      const event: VimRequestEvent = { method: request.method, object: request.object, durationMs: Date.now() - started, status };
      if (failure !== undefined) event.error = this.#redact(failure).slice(0, 500);
      this.#requestEvents.emit('request', event);
      options.onRequest?.(event);
    }
  }

  /** The password never leaves in an event or error, even if a server echoed it. */
  #redact(text: string): string {
    return redact(text, [this.#password]);
  }
}

/** A copy of `value` with every string in it passed through `redactText` (faults are plain data). */
function redactDeep<T>(value: T, redactText: (text: string) => string): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, redactText)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[redactText(key)] = redactDeep(item, redactText);
    return out as T;
  }
  return value;
}

function callerOptions(options: Pick<VimCallOptions, 'signal' | 'onRequest'>): Pick<VimCallOptions, 'signal' | 'onRequest'> {
  return { ...(options.signal ? { signal: options.signal } : {}), ...(options.onRequest ? { onRequest: options.onRequest } : {}) };
}
