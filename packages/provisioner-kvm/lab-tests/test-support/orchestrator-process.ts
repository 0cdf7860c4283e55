/**
 * A separate orchestrator process for the cross-process lab tests: builds its own SSH pool and
 * KVM provisioner from the JSON job in argv[2], runs one operation and reports on stdout, one
 * JSON object a line: `command` before each host command, `progress` steps, `paused` when a
 * command matching the job's `pauseBefore`/`pauseAfter` pattern is reached (it then waits for a
 * line on stdin, or for the SIGKILL the test sends), and `done` with the result or the error.
 * Run with `node --conditions=provkit-source`.
 */
import { createInterface } from 'node:readline';
import type { NodeSpec } from '@provkit/core';
import { commandText, SshPool, sshRunnerFactory, type Command, type CommandRunner, type RunOptions } from '@provkit/runners';
import { LinuxOsModule } from '@provkit/os-linux';
import { withRun } from './run-wrapper.ts';
import { KvmProvisioner } from '../../src/index.ts';

/** What the test asks of one orchestrator process. */
export interface OrchestratorJob {
  operation: 'load' | 'deleteImage' | 'capture';
  node?: NodeSpec;
  image: string;
  /** Stop before running the first host command whose text matches this pattern. */
  pauseBefore?: string;
  /** Stop after the first host command whose text matches this pattern has finished. */
  pauseAfter?: string;
  host: { host: string; port: number; username: string; privateKeyPath: string; knownHostsPath: string };
  guest: { username: string; privateKeyPath: string; knownHostsPath: string };
  libraryDir: string;
  nodeDiskDir: string;
  uri: string;
  domainType: 'qemu' | 'kvm';
  directKernelBoot: { kernel: string; initrd: string; cmdline: string };
}

function say(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const job = JSON.parse(process.argv[2]!) as OrchestratorJob;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function pause(at: 'before' | 'after', text: string): Promise<void> {
  say({ type: 'paused', at, command: text });
  await lines.next();
}

/** The SSH runner, with each command announced and the job's pause points honoured. */
function watched(runner: CommandRunner): CommandRunner {
  let pausedBefore = false;
  let pausedAfter = false;
  const before = job.pauseBefore ? new RegExp(job.pauseBefore) : undefined;
  const after = job.pauseAfter ? new RegExp(job.pauseAfter) : undefined;
  return withRun(runner, async (command: Command, options?: RunOptions) => {
    const text = commandText(command);
    say({ type: 'command', command: text });
    if (before && !pausedBefore && before.test(text)) {
      pausedBefore = true;
      await pause('before', text);
    }
    const result = await runner.run(command, options);
    if (after && !pausedAfter && after.test(text)) {
      pausedAfter = true;
      await pause('after', text);
    }
    return result;
  });
}

const hostPool = new SshPool({ maxChannelsPerConnection: 8 });
const guestPool = new SshPool({ connectTimeoutMs: 5000 });
const runner = watched(hostPool.runner({ host: job.host.host, port: job.host.port, username: job.host.username, privateKeyPath: job.host.privateKeyPath, hostKey: { kind: 'known-hosts', path: job.host.knownHostsPath } }));
const osModule = new LinuxOsModule({
  runnerFor: sshRunnerFactory(guestPool, { username: job.guest.username, privateKeyPath: job.guest.privateKeyPath, hostKey: { kind: 'accept-new', path: job.guest.knownHostsPath } }),
  capabilities: { users: false, firewall: false },
});
const kvm = new KvmProvisioner({
  runner,
  libraryDir: job.libraryDir,
  nodeDiskDir: job.nodeDiskDir,
  uri: job.uri,
  domainType: job.domainType,
  network: { kind: 'user-forward' },
  directKernelBoot: job.directKernelBoot,
  defaultSize: { cpus: 1, memoryBytes: 192 * 1024 * 1024 },
  osModule,
  bootTimeoutMs: 180_000,
  shutdownTimeoutMs: 60_000,
});
kvm.events.on('progress', (event) => say({ type: 'progress', operation: event.operation, step: event.step }));
kvm.events.on('warning', (event) => say({ type: 'warning', message: event.message }));

try {
  const result =
    job.operation === 'load'
      ? await kvm.load({ node: job.node!, image: job.image })
      : job.operation === 'deleteImage'
        ? await kvm.deleteImage({ image: job.image })
        : await kvm.capture({ node: job.node!, image: job.image, skipPreCapture: true });
  say({ type: 'done', ok: true, result });
} catch (error) {
  const failure = error as { code?: string; name?: string; message?: string; cause?: { code?: string }; cleanupError?: unknown };
  say({ type: 'done', ok: false, code: failure.code, causeCode: failure.cause?.code, name: failure.name, message: failure.message, cleanupError: failure.cleanupError === undefined ? undefined : String(failure.cleanupError) });
} finally {
  await kvm.close();
  await guestPool.close();
  await hostPool.close();
  process.exit(0);
}
