/**
 * One orchestrator process of the fault matrix: runs ONE KVM provisioner operation (load,
 * unload, capture or deleteImage) against the lab, as a separate Node process so the matrix can
 * SIGKILL it at a step boundary, and reports on standard output, one JSON line each:
 * `{"type":"progress",...}` for every progress event (the provisioner's and the OS module's),
 * then `{"type":"result",...}` with the value or the error (code, failed step, clean-up error),
 * then `{"type":"closed"}` once its connections are closed.
 *
 * Usage: `node --conditions=provkit-source fault-orchestrator.ts '<OrchestratorJob as JSON>'`.
 */
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperationFailedError, ProvkitError, type NodeSpec, type ProgressEvent } from '@provkit/core';
import { SshPool, sshRunnerFactory } from '@provkit/runners';
import { LinuxOsModule } from '@provkit/os-linux';
import { readLabState, type KvmGuestLabState, type LibvirtLabState, type SshdLabState } from '@provkit/lab';
import { KvmProvisioner } from '../../src/index.ts';

/** What one orchestrator process does. */
export interface OrchestratorJob {
  operation: 'load' | 'unload' | 'capture' | 'deleteImage';
  node?: NodeSpec;
  /** The image loaded, captured into, or deleted. */
  image?: string;
  libraryDir: string;
  nodeDiskDir: string;
  /** Abort the operation's signal when this progress step (of `abortAt.operation`) is reported. */
  abortAt?: { operation: string; step: string };
  bootTimeoutMs?: number;
  /** The provisioner's bound on one host command (default 60 000). */
  commandTimeoutMs?: number;
}

/** One line the orchestrator writes. */
export type OrchestratorLine =
  | { type: 'progress'; operation: string; step: string; detail?: string; atMs: number }
  | { type: 'result'; ok: true; atMs: number }
  | { type: 'result'; ok: false; atMs: number; error: { name: string; code?: string; step?: string; message: string; cleanupError?: string } }
  | { type: 'closed'; atMs: number };

const started = performance.now();

/** A line before its timestamp (Omit distributed over the union's members). */
type Unstamped<Line> = Line extends unknown ? Omit<Line, 'atMs'> : never;

function emit(line: Unstamped<OrchestratorLine>): void {
  // Synchronous: a SIGKILL right after a progress line must find that line already written.
  writeSync(1, `${JSON.stringify({ ...line, atMs: Math.round(performance.now() - started) })}\n`);
}

function describeError(error: unknown): Extract<OrchestratorLine, { ok: false }>['error'] {
  const message = error instanceof Error ? error.message : String(error);
  const described: Extract<OrchestratorLine, { ok: false }>['error'] = { name: error instanceof Error ? error.name : typeof error, message };
  if (ProvkitError.isInstance(error)) described.code = error.code;
  if (error instanceof OperationFailedError) {
    described.step = error.step;
    if (error.cleanupError !== undefined) described.cleanupError = error.cleanupError instanceof Error ? error.cleanupError.message : String(error.cleanupError);
  }
  return described;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as OrchestratorJob;
  const sshd = readLabState<SshdLabState>('sshd');
  const libvirt = readLabState<LibvirtLabState>('libvirt');
  const guest = readLabState<KvmGuestLabState>('kvm-guest');
  const scratch = mkdtempSync(join(tmpdir(), 'provkit-fault-orchestrator-'));
  const hostPool = new SshPool({ maxChannelsPerConnection: 8 });
  const guestPool = new SshPool({ connectTimeoutMs: 5000 });
  const host = hostPool.runner({ host: sshd.host, port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, hostKey: { kind: 'known-hosts', path: sshd.knownHostsPath } });
  const osModule = new LinuxOsModule({
    runnerFor: sshRunnerFactory(guestPool, { username: guest.guestUsername, privateKeyPath: guest.privateKeyPath, hostKey: { kind: 'accept-new', path: join(scratch, 'known_hosts') } }),
    capabilities: { users: false, firewall: false },
    // Bounds an operator would set: a frozen guest must not hold an operation for the default hours.
    timeouts: { commandMs: 60_000, shutdownMs: 60_000, responseMs: 60_000 },
  });
  const kvm = new KvmProvisioner({
    runner: host,
    libraryDir: job.libraryDir,
    nodeDiskDir: job.nodeDiskDir,
    uri: libvirt.uri,
    domainType: libvirt.domainType,
    network: { kind: 'user-forward' },
    directKernelBoot: { kernel: guest.kernelPath, initrd: guest.initrdPath, cmdline: guest.kernelCmdline },
    defaultSize: { cpus: 1, memoryBytes: 192 * 1024 * 1024 },
    osModule,
    bootTimeoutMs: job.bootTimeoutMs ?? 120_000,
    shutdownTimeoutMs: 60_000,
    commandTimeoutMs: job.commandTimeoutMs ?? 60_000,
  });
  const controller = new AbortController();
  const onProgress = (event: ProgressEvent): void => {
    emit({ type: 'progress', operation: event.operation, step: event.step, ...(event.detail ? { detail: event.detail } : {}) });
    if (job.abortAt && event.operation === job.abortAt.operation && event.step === job.abortAt.step) controller.abort(new Error(`fault matrix: abort at ${event.operation}/${event.step}`));
  };
  // unload takes no onProgress: its steps reach the provisioner's events.
  kvm.events.on('progress', (event) => {
    if (job.operation === 'unload' || job.operation === 'deleteImage') onProgress(event);
  });
  const signal = controller.signal;
  try {
    const node = job.node!;
    if (job.operation === 'load') await kvm.load({ node, image: job.image!, onProgress, signal });
    else if (job.operation === 'unload') await kvm.unload({ node, signal });
    else if (job.operation === 'capture') await kvm.capture({ node, image: job.image!, onProgress, signal });
    else await kvm.deleteImage({ image: job.image!, signal });
    emit({ type: 'result', ok: true });
  } catch (error) {
    emit({ type: 'result', ok: false, error: describeError(error) });
  } finally {
    await kvm.close();
    await osModule.close();
    await guestPool.close();
    await hostPool.close();
    rmSync(scratch, { recursive: true, force: true });
    emit({ type: 'closed' });
  }
}

await main();
