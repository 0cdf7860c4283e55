/**
 * Property test: every operation that handles a secret runs with a canary secret, against
 * peers that echo everything back (commands that print their stdin and command line on
 * stderr, a vSphere endpoint that quotes the request in its fault, an LDAP and an SSH
 * endpoint that drop the connection); the canary must appear in no event, no error (message,
 * cause chain, `util.inspect`, JSON), no console log and no CLI output.
 *
 * The echoing runner runs a real local `sh` through @provkit/runners' LocalRunner with the module's own
 * run options, so the redaction under test is the real one, not a copy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createEmitter, Secret, type ProvkitEmitter } from '@provkit/core';
import {
  commandText,
  LocalRunner,
  SshPool,
  type Command,
  type CommandRunner,
  type RunOptions,
} from '@provkit/runners';
import { LeanProvisioning, MemoryInventory, createProfile } from '@provkit/lean-provisioning';
import { LdapInventory } from '@provkit/inventory-ldap';
import { LinuxOsModule } from '@provkit/os-linux';
import { WindowsOsModule } from '@provkit/os-windows';
import { EsxProvisioner } from '@provkit/provisioner-esx';
import { KvmProvisioner } from '@provkit/provisioner-kvm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';

/** Everything printed or emitted during one case. */
class Transcript {
  readonly texts: string[] = [];
  add(label: string, value: unknown): void {
    this.texts.push(`${label}: ${inspect(value, { depth: 20 })}`);
    try {
      this.texts.push(JSON.stringify(value) ?? '');
    } catch {
      // Not JSON-able (a BigInt somewhere): inspect covered it.
    }
  }
  addError(error: unknown): void {
    this.add('error', error);
    for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
      this.texts.push(current.message, String(current.stack));
      if (current instanceof AggregateError) for (const inner of current.errors) this.addError(inner);
    }
  }
  /** An emitter that records every event emitted on it. */
  emitter(): ProvkitEmitter {
    const events = createEmitter();
    const emit = events.emit.bind(events);
    (events as unknown as { emit: (name: string, ...args: unknown[]) => boolean }).emit = (name: string, ...args: unknown[]) => {
      this.add(`event ${name}`, args);
      return (emit as (name: string, ...rest: unknown[]) => boolean)(name, ...args);
    };
    return events;
  }
  find(canary: string): string | undefined {
    return this.texts.find((text) => text.includes(canary));
  }
}

/**
 * A runner that runs, instead of the module's command, a local `sh` that prints its stdin and
 * the module's command line on stderr and exits with `exitCode`, with the module's run options
 * (stdin, secrets, outputSecrets) — a remote that echoes everything.
 */
function echoingRunner(local: LocalRunner, exitCode: number): CommandRunner {
  return {
    target: local.target,
    events: local.events,
    run: (command: Command, options: RunOptions = {}) =>
      local.run(['sh', '-c', 'printf "%s\\n" "$1" >&2; cat >&2; exit "$2"', 'echo', commandText(command), String(exitCode)], { ...options, check: options.check ?? true, timeoutMs: 10_000 }),
    writeFile: async () => undefined,
    uploadFile: async () => undefined,
    downloadFile: async () => undefined,
  };
}

/** Canary secrets: random, and some shaped like what a module's scripts contain. */
const canaries = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((text) => `Canary${text}`),
  fc.constantFrom('CanaryPa55-word!', 'Canary chpasswd root', 'Canary$(id)`x`;', "Canary'quote\"double"),
);

let scratch: string;
let ca: string;
let vsphere: HttpsServer;
let vsphereUrl: string;
let dropper: Server;
let dropperPort: number;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'provkit-canary-'));
  const key = join(scratch, 'key.pem');
  const cert = join(scratch, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  ca = readFileSync(cert, 'utf8');
  // A vSphere endpoint that quotes the whole request (the Login carries the password) in its fault, or answers plain text.
  vsphere = createHttpsServer({ key: readFileSync(key), cert: ca }, (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const quoted = body.replace(/[<>&]/g, ' ');
      if (body.includes('RetrieveServiceContent')) {
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(readFileSync(new URL('../../provisioner-esx/src/translation/fixtures/retrieve-service-content.xml', import.meta.url)));
      } else if (quoted.length % 2 === 0) {
        response.writeHead(500, { 'content-type': 'text/xml' });
        response.end(`<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login: ${quoted}</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"><echo>${quoted}</echo></InvalidLoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`);
      } else {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`proxy error for ${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => vsphere.listen(0, '127.0.0.1', resolve));
  vsphereUrl = `https://127.0.0.1:${(vsphere.address() as AddressInfo).port}/sdk`;
  // LDAP and SSH stand-ins: accept and drop at once.
  dropper = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  dropperPort = (dropper.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => vsphere.close(resolve));
  await new Promise((resolve) => dropper.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs `work` with console output captured into `transcript`; errors are recorded, not thrown. */
async function capture(transcript: Transcript, work: () => Promise<unknown>): Promise<void> {
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) => vi.spyOn(console, level).mockImplementation((...args: unknown[]) => transcript.add(`console.${level}`, args)));
  try {
    await work().then(
      (result) => transcript.add('result-shape', typeof result),
      (error: unknown) => transcript.addError(error),
    );
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Runs `steps` one after another (a shared session must not be closed under them), recording their errors, then `cleanUp`. */
async function sequence(transcript: Transcript, steps: (() => Promise<unknown>)[], cleanUp: () => Promise<unknown>): Promise<void> {
  for (const step of steps) await step().catch((error: unknown) => transcript.addError(error));
  await cleanUp();
}

const node = { name: 'web-1', address: { host: '192.0.2.10' } };
const operations = new Map<string, (canary: Secret, exitCode: number, transcript: Transcript) => Promise<unknown>[]>();

operations.set('os-linux', (canary, exitCode, transcript) => {
  const events = transcript.emitter();
  const local = new LocalRunner({ events });
  const module = new LinuxOsModule({ runnerFor: () => echoingRunner(local, exitCode), rootPassword: canary, events, timeouts: { shutdownMs: 50, rebootMs: 50, responseMs: 50 } });
  return [
    module.setPassword({ node, username: 'alice', password: canary }),
    module.createUser({ node, username: 'alice', password: canary, admin: true }),
    module.postLoad({ node, image: 'base-v1', customization: { users: [{ username: 'bob', password: canary }] } }),
    module.preCapture({ node, operations: ['root-password'], endState: 'on' }),
    module.randomizeAdminPasswords({ node }),
  ];
});

operations.set('os-windows', (canary, exitCode, transcript) => {
  const events = transcript.emitter();
  const local = new LocalRunner({ events });
  const module = new WindowsOsModule({ runnerFor: () => echoingRunner(local, exitCode), administratorPassword: canary, events, waitTimeoutMs: 50, commandTimeoutMs: 10_000 });
  return [
    module.setPassword({ node, username: 'alice', password: canary }),
    module.createUser({ node, username: 'alice', password: canary, admin: true }),
    module.postLoad({ node, image: 'base-v1', customization: { users: [{ username: 'bob', password: canary }] } }),
    module.preCapture({ node, endState: 'on', timeoutMs: 50 }),
  ];
});

operations.set('kvm', (canary, exitCode, transcript) => {
  const events = transcript.emitter();
  const local = new LocalRunner({ events });
  const osModule = new LinuxOsModule({ runnerFor: () => echoingRunner(local, exitCode), rootPassword: canary, events });
  const provisioner = new KvmProvisioner({ runner: echoingRunner(local, exitCode), libraryDir: '/srv/provkit/library', nodeDiskDir: '/srv/provkit/nodes', osModule, events, bootTimeoutMs: 50 });
  return [
    provisioner.load({ node, image: 'base-v1', customization: { users: [{ username: 'bob', password: canary }] } }),
    provisioner.capture({ node, image: 'base-v2', shutdownTimeoutMs: 50 }),
  ];
});

operations.set('esx (vim-cmd over SSH)', (canary, exitCode, transcript) => {
  const events = transcript.emitter();
  const local = new LocalRunner({ events });
  const osModule = new LinuxOsModule({ runnerFor: () => echoingRunner(local, exitCode), rootPassword: canary, events });
  const provisioner = new EsxProvisioner({ ssh: { runner: echoingRunner(local, exitCode), datastore: 'datastore1' }, osModule, events, toolsTimeoutMs: 50, bootTimeoutMs: 50, shutdownTimeoutMs: 50 });
  return [provisioner.load({ node, image: 'base-v1', customization: { users: [{ username: 'bob', password: canary }] } }), provisioner.capture({ node, image: 'base-v2' })];
});

operations.set('esx (vSphere API)', (canary, _exitCode, transcript) => {
  const events = transcript.emitter();
  const provisioner = new EsxProvisioner({ api: { url: vsphereUrl, username: 'provkit', password: canary, tls: { ca }, keepAliveIntervalMs: 0, requestTimeoutMs: 5_000 }, events, toolsTimeoutMs: 50 });
  return [sequence(transcript, [() => provisioner.listImages(), () => provisioner.load({ node, image: 'base-v1' }), () => provisioner.powerStatus({ node })], () => provisioner.close())];
});

operations.set('inventory-ldap', (canary, _exitCode, transcript) => {
  const inventory = new LdapInventory({ url: `ldap://127.0.0.1:${dropperPort}`, bindDN: 'cn=admin,dc=example,dc=com', password: canary, allowPlaintextBind: true, baseDN: 'dc=example,dc=com', timeoutMs: 2_000, connectTimeoutMs: 2_000, events: transcript.emitter() });
  return [sequence(transcript, [() => inventory.listPools()], () => inventory.close())];
});

operations.set('core ssh runner', (canary, _exitCode, transcript) => {
  const pool = new SshPool({ events: transcript.emitter(), connectTimeoutMs: 2_000 });
  const runner = pool.runner({ host: '127.0.0.1', port: dropperPort, username: 'root', password: canary, hostKey: { kind: 'insecure-accept-any' } });
  return [runner.run(['true']).finally(() => pool.close())];
});

operations.set('lean workflow', (canary, exitCode, transcript) => {
  const events = transcript.emitter();
  const local = new LocalRunner({ events });
  const osModule = new LinuxOsModule({ runnerFor: () => echoingRunner(local, exitCode), events });
  const provisioner = new KvmProvisioner({ runner: echoingRunner(local, exitCode), libraryDir: '/srv/provkit/library', nodeDiskDir: '/srv/provkit/nodes', osModule, events, bootTimeoutMs: 50 });
  const inventory = new MemoryInventory();
  const workflow = new LeanProvisioning({ inventory, provisioner, osModule, events });
  const profile = createProfile({ name: 'small', size: { name: 'small', cpus: 1, memoryBytes: 1 << 30, diskBytes: 1 << 34 }, os: { operatingSystem: 'Linux', type: 'Debian', version: '12' } });
  const machine = { name: 'web-1', address: { host: '192.0.2.10' } };
  const run = workflow.run({
    profile,
    templatePool: '00000000-0000-4000-8000-000000000000',
    templateHost: 'kvm-1',
    templateMachine: { name: 'tpl-1', address: { host: '192.0.2.11' } },
    baseImage: 'base-v1',
    image: 'base-v2',
    vm: { pool: '00000000-0000-4000-8000-000000000000', host: 'kvm-1', machine, type: 'Server', reseller: 'r1', customer: 'c1', customization: { users: [{ username: 'bob', password: canary }] } },
  });
  return [run];
});

/** Generated cases per module (for the report). */
const generated = new Map<string, number>();
afterAll(() => {
  console.info(`canary-secret cases per module: ${[...generated].map(([name, count]) => `${name} ${count}`).join(', ')}`);
});

describe('a canary secret appears in no event, error, log or CLI output', () => {
  for (const [name, start] of operations) {
    it(name, async () => {
      let count = 0;
      await fc.assert(
        fc.asyncProperty(canaries, fc.constantFrom(0, 1), async (value, exitCode) => {
          count++;
          const transcript = new Transcript();
          const canary = Secret.of(value);
          await capture(transcript, () => Promise.allSettled(start(canary, exitCode, transcript)).then((settled) => {
            for (const outcome of settled) if (outcome.status === 'rejected') transcript.addError(outcome.reason);
          }));
          expect(transcript.texts.length).toBeGreaterThan(0);
          expect(transcript.find(value)).toBeUndefined();
        }),
        { numRuns: 6 },
      );
      generated.set(name, count);
    }, 120_000);
  }

  it('provkit images --json prints no vSphere password the server echoes', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(canaries, async (value) => {
        count++;
        const dir = mkdtempSync(join(scratch, 'cli-'));
        const caFile = join(dir, 'ca.pem');
        writeFileSync(caFile, ca);
        const config = join(dir, 'provkit.yaml');
        writeFileSync(config, `provisioner:\n  kind: esx\n  api:\n    url: ${vsphereUrl}\n    username: provkit\n    passwordEnv: PROVKIT_CANARY_PASSWORD\n    tls: { caFile: ${caFile} }\n    requestTimeoutMs: 5000\n`);
        vi.stubEnv('PROVKIT_CANARY_PASSWORD', value);
        try {
          for (const json of [true, false]) {
            const result = await runCli(['images', '--config', config, ...(json ? ['--json'] : [])]);
            expect(result.code).not.toBe(0);
            expect(result.stdout + result.stderr).not.toContain(value);
          }
        } finally {
          vi.unstubAllEnvs();
        }
      }),
      { numRuns: 4 },
    );
    generated.set('cli', count * 2);
  }, 120_000);
});
