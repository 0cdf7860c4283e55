import { createServer } from 'node:net';
import { Secret, type NodeSpec } from '@provkit/core';
import { SshPool, sshRunnerFactory } from '@provkit/runners';
import { osModuleConformance, type OsModuleSuiteOptions } from '@provkit/conformance';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadTranscript, TranscriptServer } from '../test-support/transcript-server.ts';
import { WindowsOsModule } from './windows-os-module.ts';

// The published suites, imported by package name as a third party would, against a Windows
// host played from a transcript authored from Microsoft's documentation (the suite's random user name and passwords are
// placeholders and patterns in it).
let server: TranscriptServer;
let pool: SshPool;
let port: number;
let closedPort: number;

beforeAll(async () => {
  server = new TranscriptServer(loadTranscript(new URL('../test-support/transcripts/conformance.json', import.meta.url)));
  port = await server.start();
  pool = new SshPool({ connectTimeoutMs: 5000 });
  // A port nobody listens on: bound, then released.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await pool.close();
  await server.close();
  server.assertDone();
});

const options: OsModuleSuiteOptions = {
  describe,
  it,
  createOsModule: () =>
    new WindowsOsModule({
      runnerFor: sshRunnerFactory(pool, { username: server.username, privateKey: server.clientPrivateKey, hostKey: { kind: 'fingerprint', sha256: server.hostKeyFingerprint }, remoteShell: 'other' }),
      administratorPassword: Secret.of('Adm1n-Transcript!'),
      pollDelayMs: { initial: 20, max: 200 },
    }),
  node: (): NodeSpec => ({ name: 'win-conformance', address: { host: '127.0.0.1', port } }),
  unreachableNode: (): NodeSpec => ({ name: 'win-unreachable', address: { host: '127.0.0.1', port: closedPort } }),
};

describe('@provkit/conformance OS-module suites against WindowsOsModule (transcript authored from Microsoft\'s documentation)', () => {
  osModuleConformance(options);
});
