/**
 * @provkit/conformance's OS-module suites, imported by package name as a third party would,
 * against LinuxOsModule driving the lab's real Debian root.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { osModuleConformance } from '@provkit/conformance';
import { SshPool, sshRunnerFactory, type RunnerFactory } from '@provkit/runners';
import { LinuxOsModule } from '@provkit/os-linux';
import { startDebianRoot, type DebianRootFixture } from './test-support/debian-root-fixture.ts';

let lab: DebianRootFixture;
let pool: SshPool;
let runnerFor: RunnerFactory;

beforeAll(async () => {
  lab = await startDebianRoot();
  pool = new SshPool({ connectTimeoutMs: 2000 });
  runnerFor = sshRunnerFactory(pool, { username: 'root', privateKeyPath: lab.state.privateKeyPath, hostKey: { kind: 'known-hosts', path: lab.state.knownHostsPath } });
});
afterAll(async () => {
  await pool?.close();
  await lab?.close();
});

osModuleConformance({
  describe,
  it,
  createOsModule: () => new LinuxOsModule({ runnerFor }),
  node: () => lab.node,
  // Nothing listens on port 1 of the root's address: connections are refused at once.
  unreachableNode: () => ({ name: 'debian-root-port-1', address: { host: lab.state.host, port: 1 } }),
});
