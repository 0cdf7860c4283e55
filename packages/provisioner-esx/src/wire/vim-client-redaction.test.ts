import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AuthenticationError, ProvkitError, RemoteFaultError, Secret } from '@provkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VimRequestEvent } from './vim-client.ts';
import { VimClient } from './vim-client.ts';

const PASSWORD = 'canary-Pa55word';
const fixture = (name: string): string => readFileSync(new URL(`../translation/fixtures/${name}`, import.meta.url), 'utf8');

/** What the fake endpoint answers to the Login call (everything else gets the service content). */
let loginAnswer: { status: number; body: string } = { status: 500, body: '' };
let server: Server;
let url: string;
let ca: string;
let scratch: string;

beforeAll(async () => {
  // A throw-away certificate for 127.0.0.1, so the client verifies TLS as it does in production.
  scratch = mkdtempSync(join(tmpdir(), 'provkit-vim-redaction-'));
  const key = join(scratch, 'key.pem');
  const cert = join(scratch, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  ca = readFileSync(cert, 'utf8');
  server = createServer({ key: readFileSync(key), cert: ca }, (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const answer = body.includes('<Login ') || body.includes('<Login>') ? loginAnswer : { status: 200, body: fixture('retrieve-service-content.xml') };
      response.writeHead(answer.status, { 'content-type': 'text/xml' });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/** Logs in against the fake endpoint and returns the error and the request events. */
async function failedLogin(): Promise<{ error: unknown; events: VimRequestEvent[] }> {
  const client = new VimClient({ url, username: 'root', password: Secret.of(PASSWORD), tls: { ca }, keepAliveIntervalMs: 0 });
  const events: VimRequestEvent[] = [];
  client.onRequest((event) => events.push(event));
  try {
    await client.login();
    return { error: undefined, events };
  } catch (error) {
    return { error, events };
  } finally {
    await client.close();
  }
}

/** Every text a caller, a log or the CLI could print of an error. */
function allTexts(error: unknown): string {
  const texts: string[] = [inspect(error, { depth: 10 }), JSON.stringify(error)];
  for (let current: unknown = error; current instanceof Error; current = current.cause) texts.push(current.message, String(current.stack));
  return texts.join('\n');
}

describe('VimClient: a server echoing the password', () => {
  it('redacts it from the AuthenticationError built from an InvalidLogin fault string', async () => {
    const fault = fixture('fault-managed-object-not-found.xml')
      .replace('managed object not found: VirtualMachine:vm-does-not-exist', `Cannot complete login: wrong password ${PASSWORD} for root`)
      .replace('xsi:type="ManagedObjectNotFound"', 'xsi:type="InvalidLogin"')
      .replace('<obj type="VirtualMachine">vm-does-not-exist</obj>', `<echo>${PASSWORD}</echo>`);
    loginAnswer = { status: 500, body: fault };
    const { error, events } = await failedLogin();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('[redacted]');
    expect(allTexts(error)).not.toContain(PASSWORD);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('redacts it from the excerpt of a response body that is not XML, even across the cut', async () => {
    // The password starts just before the 200-character cut of the excerpt.
    loginAnswer = { status: 502, body: `${'x'.repeat(190)}${PASSWORD}${PASSWORD}` };
    const { error, events } = await failedLogin();
    expect(error).toBeInstanceOf(RemoteFaultError);
    expect(ProvkitError.isInstance(error)).toBe(true);
    const texts = allTexts(error);
    expect(texts).not.toContain(PASSWORD);
    expect(texts).not.toContain(PASSWORD.slice(0, 10));
    expect(JSON.stringify(events)).not.toContain(PASSWORD.slice(0, 10));
  });

  it('redacts it from a malformed XML answer quoted in the parse error', async () => {
    loginAnswer = { status: 500, body: `<soapenv:Envelope><soapenv:Body><${PASSWORD} oops` };
    const { error } = await failedLogin();
    expect(ProvkitError.isInstance(error)).toBe(true);
    expect(allTexts(error)).not.toContain(PASSWORD);
  });
});
