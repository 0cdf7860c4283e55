import {
  AbortedError,
  CommandFailedError,
  InvalidInputError,
  OperationFailedError,
  Secret,
  TimeoutError,
  UnsupportedFunctionalityError,
  type NodeSpec,
  type OperationReport,
} from '@provkit/core';
import { SshPool, sshRunnerFactory } from '@provkit/runners';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeCommand } from './powershell/encode-command.ts';
import { loadTranscript, TranscriptServer } from '../test-support/transcript-server.ts';
import { encodeUnattendPassword } from './unattend/unattend-password.ts';
import { WindowsOsModule, type WindowsOsModuleOptions } from './windows-os-module.ts';

// Secrets as the transcripts expect them on stdin.
const ADMIN_PASSWORD = 'Adm1n-Transcript!';
const PASSWORD = 'Alice-Pass-1';
const NEW_PASSWORD = 'Alice-Pass-2';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPVZ3qCx3kY0x4d3xW0Wc0r9l0aWQZp1Y8cM1n5b2r4A alice@lab';

interface Harness {
  module: WindowsOsModule;
  server: TranscriptServer;
  node: NodeSpec;
  pool: SshPool;
  /** Every event of the module and of the pool, and every error message the test saw. */
  record: unknown[];
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!();
});

async function harness(transcript: string, options: Partial<WindowsOsModuleOptions> = {}): Promise<Harness> {
  const server = new TranscriptServer(loadTranscript(new URL(`../test-support/transcripts/${transcript}`, import.meta.url)));
  const port = await server.start();
  const pool = new SshPool({ connectTimeoutMs: 5000, commandTimeoutMs: 10_000 });
  open.push(async () => {
    await pool.close();
    await server.close();
  });
  const runnerFor = sshRunnerFactory(pool, {
    username: server.username,
    privateKey: server.clientPrivateKey,
    hostKey: { kind: 'fingerprint', sha256: server.hostKeyFingerprint },
    remoteShell: 'other',
  });
  const module = new WindowsOsModule({
    runnerFor,
    administratorPassword: Secret.of(ADMIN_PASSWORD),
    unattend: { timeZone: 'W. Europe Standard Time' },
    pollDelayMs: { initial: 10, max: 50 },
    ...options,
  });
  const record: unknown[] = [];
  for (const name of ['progress', 'command', 'warning'] as const) {
    module.events.on(name, (event: unknown) => record.push({ source: 'module', name, event }));
    pool.events.on(name, (event: unknown) => record.push({ source: 'pool', name, event }));
  }
  return { module, server, node: { name: 'win-1', address: { host: '127.0.0.1', port } }, pool, record };
}

/** Fails if any secret, or the encoded form the answer file uses, appears in events, errors or the scripts sent. */
function expectNoSecrets(h: Harness, secrets: readonly string[], errors: unknown[] = []): void {
  const texts = [JSON.stringify(h.record), ...errors.map((error) => `${String(error)} ${JSON.stringify(error)} ${(error as Error)?.stack ?? ''}`)];
  for (const request of h.server.seen) texts.push(request.script ?? '');
  for (const event of h.record as Array<{ name: string; event: { command?: string } }>) {
    if (event.name === 'command' && event.event.command) texts.push(decodeCommand(event.event.command) ?? '');
  }
  for (const secret of secrets) {
    for (const form of [secret, encodeUnattendPassword(secret)]) {
      for (const text of texts) expect(text.includes(form), `secret found in: ${text.slice(0, 200)}`).toBe(false);
    }
  }
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('WindowsOsModule over SSH (transcript authored from Microsoft\'s documentation)', () => {
  it('creates an administrator with a key, changes the password, deletes users, never emitting a password (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('users-and-passwords.json');
    await h.module.createUser({ node: h.node, username: 'alice', password: Secret.of(PASSWORD), admin: true, sshPublicKeys: [KEY] });
    await h.module.setPassword({ node: h.node, username: 'alice', password: Secret.of(NEW_PASSWORD) });
    await h.module.deleteUser({ node: h.node, username: 'alice' });
    await h.module.deleteUser({ node: h.node, username: 'bob', removeHome: false });
    const { passwords } = await h.module.randomizeAdminPasswords({ node: h.node });
    expect(Object.keys(passwords)).toEqual(['Administrator', 'labadmin']);
    const random = Object.values(passwords).map((secret) => secret.reveal());
    for (const value of random) expect(value).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])[A-Za-z0-9]{20}$/);
    expect(random[0]).not.toBe(random[1]);
    // The transcript's stdin pattern saw exactly these values.
    expect(h.server.seen.at(-1)!.stdin).toBe(JSON.stringify({ Administrator: random[0], labadmin: random[1] }));

    const failure = await caught(h.module.createUser({ node: h.node, username: 'carol', password: Secret.of('short') }));
    expect(failure).toBeInstanceOf(CommandFailedError);
    expect((failure as CommandFailedError).exitCode).toBe(1);
    expect((failure as CommandFailedError).stderrTail).toContain('New-LocalUser : The password does not meet the password policy requirements.');
    expect((failure as CommandFailedError).stderrTail).not.toContain('CLIXML');

    h.server.assertDone();
    expectNoSecrets(h, [PASSWORD, NEW_PASSWORD, 'short', ...random], [failure]);
    const commands = h.record.filter((entry) => (entry as { source: string; name: string }).source === 'module' && (entry as { name: string }).name === 'command');
    expect(commands).toHaveLength(h.server.seen.length);
  });

  it('opens and closes SSH and RDP to one address with provkit-named rules (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('access.json');
    await h.module.grantAccess({ node: h.node, remoteIp: '10.0.0.5', ports: [22, 3389, 22] });
    await h.module.revokeAccess({ node: h.node, remoteIp: '10.0.0.5', ports: [22, 3389] });
    h.server.assertDone();
    const steps = h.record.filter((entry) => (entry as { name: string }).name === 'progress').map((entry) => (entry as { event: { step: string; detail: string } }).event);
    expect(steps.map((step) => step.step)).toEqual(['access-granted', 'access-revoked']);
    expect(steps[0]!.detail).toBe('TCP 22, 3389 from 10.0.0.5');
  });

  it('reads a missing currentimage.txt as undefined, writes it and reads it back (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('current-image.json');
    expect(await h.module.readCurrentImage({ node: h.node })).toBeUndefined();
    await h.module.writeCurrentImage({ node: h.node, info: { image: 'win10-base-v3', properties: { id: '42', imagerevision_id: '7' }, postLoadDone: false } });
    expect(await h.module.readCurrentImage({ node: h.node })).toEqual({ image: 'win10-base-v3', properties: { id: '42', imagerevision_id: '7' }, postLoadDone: false });
    h.server.assertDone();
  });

  it('post-load: renames and restarts (waiting past the old boot), adds a user, a key and a first-boot command, records post-load (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('post-load.json');
    await h.module.postLoad({
      node: h.node,
      image: 'win10-base-v3',
      customization: {
        hostname: 'LAB-PC01',
        users: [{ username: 'student', password: Secret.of('Student-Pass-1') }],
        sshAuthorizedKeys: [KEY],
        firstBootCommand: ['C:\\Windows\\System32\\cmd.exe', '/c', 'exit 0'],
      },
    });
    h.server.assertDone();
    const steps = h.record.filter((entry) => (entry as { name: string }).name === 'progress').map((entry) => (entry as { event: { step: string } }).event.step);
    expect(steps).toEqual(['responding', 'hostname-set', 'user-created', 'keys-authorized', 'first-boot-command-done', 'post-load-done']);
    expectNoSecrets(h, ['Student-Pass-1']);
  });

  it('shuts down and waits until SSH is refused (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('power.json');
    await h.module.shutdown({ node: h.node, timeoutMs: 10_000 });
    h.server.assertDone();
  });

  it('reboots and waits for a new boot time (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('reboot.json');
    await h.module.reboot({ node: h.node, timeoutMs: 10_000 });
    h.server.assertDone();
  });

  it('waitForResponse answers on a live node (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('wait.json');
    await h.module.waitForResponse({ node: h.node, timeoutMs: 10_000 });
    h.server.assertDone();
  });

  it('preCapture off: AppX warning, full cleanup, unattend.xml on stdin, Sysprep /shutdown whose dropped session is expected (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('sysprep-off.json');
    const result = await h.module.preCapture({ node: h.node, endState: 'off', timeoutMs: 10_000 });
    h.server.assertDone();
    expect(result.endState).toBe('off');
    expect(result.operations.map((report: OperationReport) => [report.name, report.changed])).toEqual([
      ['logoff-users', true],
      ['delete-reservation-users', true],
      ['reset-administrator-password', true],
      ['delete-temp-files', true],
      ['disable-hibernation', true],
      ['remove-ssh-host-keys', true],
    ]);
    expect(result.operations[1]!.detail).toBe('deleted student');
    const warnings = h.record.filter((entry) => (entry as { name: string }).name === 'warning').map((entry) => (entry as { event: { message: string } }).event.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Contoso.Notes_1.4.0.0_x64__8wekyb3d8bbwe is installed for a user but not provisioned for all users');
    const steps = h.record.filter((entry) => (entry as { name: string }).name === 'progress').map((entry) => (entry as { event: { step: string; detail?: string } }).event);
    expect(steps.find((step) => step.step === 'sysprep-started')!.detail).toContain('dropped');
    expect(steps.at(-1)!.step).toBe('shut-down');
    // The answer file went over stdin with the encoded password, never in a command line or event.
    const unattend = h.server.seen.find((request) => request.stdin.includes('<unattend'))!;
    expect(unattend.stdin).toContain(`<Value>${encodeUnattendPassword(ADMIN_PASSWORD)}</Value>`);
    expect(unattend.stdin).toContain('<TimeZone>W. Europe Standard Time</TimeZone>');
    // Host keys were removed, so specialize makes sure the clone has its own before sshd is needed.
    expect(unattend.stdin).toContain('OpenSSH\\ssh-keygen.exe&quot; -A</Path>');
    expect(h.server.seen.find((request) => request.stdin === ADMIN_PASSWORD)).toBeDefined();
    expectNoSecrets(h, [ADMIN_PASSWORD]);
  });

  it('preCapture on: Sysprep /quit, waits for ImageState IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE and sysprep to exit (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('sysprep-on.json');
    const result = await h.module.preCapture({ node: h.node, endState: 'on', operations: [], timeoutMs: 10_000 });
    h.server.assertDone();
    expect(result).toEqual({ operations: [], endState: 'on' });
    expect(h.server.seen.find((request) => request.stdin.includes('<unattend'))!.stdin).not.toContain('ssh-keygen');
    const steps = h.record.filter((entry) => (entry as { name: string }).name === 'progress').map((entry) => (entry as { event: { step: string; detail?: string } }).event);
    expect(steps.find((step) => step.step === 'sysprep-started')!.detail).toBe('process 4242, /quit');
    expect(steps.at(-1)!.step).toBe('generalized');
  });

  it('preCapture without an Administrator password but allowed to prompt: no reset, no AdministratorPassword, drivers installed in specialize (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('sysprep-prompt.json', {
      administratorPassword: undefined,
      unattend: { timeZone: 'W. Europe Standard Time', promptForAdministratorPassword: true, driverPaths: ['C:\\Drivers\\virtio'] },
    });
    const result = await h.module.preCapture({ node: h.node, endState: 'on', operations: ['reset-administrator-password'], timeoutMs: 10_000 });
    h.server.assertDone();
    expect(result.operations).toEqual([
      { name: 'reset-administrator-password', changed: false, detail: 'no administratorPassword configured (unattend.promptForAdministratorPassword); left unchanged, OOBE will ask for one' },
    ]);
    const unattend = h.server.seen.find((request) => request.stdin.includes('<unattend'))!.stdin;
    expect(unattend).not.toContain('AdministratorPassword');
    expect(unattend).toContain('<Path>pnputil.exe /add-driver &quot;C:\\Drivers\\virtio\\*.inf&quot; /subdirs /install</Path>');
    expect(unattend).not.toContain('PnpCustomizationsNonWinPE');
    const steps = h.record.filter((entry) => (entry as { name: string }).name === 'progress').map((entry) => (entry as { event: { step: string } }).event.step);
    expect(steps).toEqual(['appx-checked', 'reset-administrator-password', 'unattend-written', 'sysprep-started', 'generalized']);
  });

  it('preCapture reboot: a failing Store-app check only warns; Sysprep /reboot, done once the host stops answering (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('sysprep-reboot.json');
    const result = await h.module.preCapture({ node: h.node, endState: 'reboot', operations: [], timeoutMs: 10_000 });
    h.server.assertDone();
    expect(result.endState).toBe('reboot');
    const warnings = h.record.filter((entry) => (entry as { name: string }).name === 'warning').map((entry) => (entry as { event: { message: string } }).event.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^could not check Store apps before Sysprep: .*Get-AppxPackage : The system cannot find the file specified/);
    const steps = h.record.filter((entry) => (entry as { name: string }).name === 'progress').map((entry) => (entry as { event: { step: string } }).event.step);
    expect(steps).toEqual(['appx-checked', 'unattend-written', 'sysprep-started', 'rebooting']);
  });

  it('preCapture fails fast with setuperr.log when Sysprep stops without generalizing (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('sysprep-failure.json');
    const error = await caught(h.module.preCapture({ node: h.node, endState: 'off', operations: [], timeoutMs: 60_000 }));
    h.server.assertDone();
    expect(error).toBeInstanceOf(OperationFailedError);
    expect((error as OperationFailedError).step).toBe('wait-for-sysprep');
    expect((error as Error).message).toContain('Sysprep stopped without generalizing (ImageState IMAGE_STATE_COMPLETE)');
    expect((error as Error).message).toContain('0x80073cf2');
    expectNoSecrets(h, [ADMIN_PASSWORD], [error]);
  });

  it('preCapture gives up at its bound while Sysprep never finishes (transcript authored from Microsoft\'s documentation)', async () => {
    const h = await harness('sysprep-timeout.json');
    const started = Date.now();
    const error = await caught(h.module.preCapture({ node: h.node, endState: 'on', operations: [], timeoutMs: 1500 }));
    const elapsed = Date.now() - started;
    h.server.assertDone();
    expect(error).toBeInstanceOf(OperationFailedError);
    const cause = (error as OperationFailedError).cause;
    expect(cause).toBeInstanceOf(TimeoutError);
    expect((cause as TimeoutError).awaited).toBe('ImageState IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE on node win-1');
    expect((cause as TimeoutError).lastState).toBe('ImageState IMAGE_STATE_UNDEPLOYABLE, sysprep running');
    expect(elapsed).toBeLessThan(1500 + 3000);
    expectNoSecrets(h, [ADMIN_PASSWORD], [error]);
  });
});

describe('WindowsOsModule input checks and waits (no Windows needed)', () => {
  it('refuses bad user names, addresses, images and options before any command', async () => {
    const h = await harness('wait.json');
    const node = h.node;
    for (const username of ['a"b', 'a;b', '$(reboot)', '', 'x'.repeat(21)]) {
      expect(await caught(h.module.createUser({ node, username }))).toBeInstanceOf(InvalidInputError);
      expect(await caught(h.module.deleteUser({ node, username }))).toBeInstanceOf(InvalidInputError);
      expect(await caught(h.module.setPassword({ node, username, password: Secret.of('x') }))).toBeInstanceOf(InvalidInputError);
    }
    for (const remoteIp of ['example.org', '10.0.0.0/8', '1.2.3.4; reboot', '']) {
      expect(await caught(h.module.grantAccess({ node, remoteIp, ports: [22] }))).toBeInstanceOf(InvalidInputError);
      expect(await caught(h.module.revokeAccess({ node, remoteIp, ports: [22] }))).toBeInstanceOf(InvalidInputError);
    }
    expect(await caught(h.module.grantAccess({ node, remoteIp: '10.0.0.5', ports: [0] }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.grantAccess({ node, remoteIp: '10.0.0.5', ports: [] }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.writeCurrentImage({ node, info: { image: 'bad name', properties: {}, postLoadDone: false } }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.postLoad({ node, image: 'no-revision' }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.postLoad({ node, image: 'w-v1', customization: { hostname: 'bad_name!' } }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.postLoad({ node, image: 'w-v1', customization: { firstBootCommand: ['echo', 'say "hi"'] } }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.preCapture({ node, endState: 'sideways' as 'on' }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.preCapture({ node, operations: ['format-c'] }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.setPassword({ node, username: 'alice', password: Secret.of('line\nbreak') }))).toBeInstanceOf(InvalidInputError);
    expect(await caught(h.module.createUser({ node, username: 'alice', sshPublicKeys: [KEY] }))).toBeInstanceOf(UnsupportedFunctionalityError);
    expect(h.server.seen).toEqual([]);
    expect(h.record.filter((entry) => (entry as { name: string }).name === 'command')).toEqual([]);
    expect(() => new WindowsOsModule({ runnerFor: () => undefined as never, unattend: { computerName: 'way-too-long-for-netbios' } })).toThrow(InvalidInputError);
    expect(() => new WindowsOsModule({ runnerFor: () => undefined as never, currentImagePath: '/etc/currentimage.txt' })).toThrow(InvalidInputError);
  });

  it('preCapture without an Administrator password refuses, naming administratorPassword, before any command', async () => {
    const h = await harness('wait.json', { administratorPassword: undefined });
    for (const endState of ['off', 'on', 'reboot'] as const) {
      const error = await caught(h.module.preCapture({ node: h.node, endState }));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('administratorPassword');
      expect((error as Error).message).toContain('unattend.promptForAdministratorPassword');
    }
    const explicitNo = await harness('wait.json', { administratorPassword: undefined, unattend: { promptForAdministratorPassword: false } });
    expect(((await caught(explicitNo.module.preCapture({ node: explicitNo.node }))) as InvalidInputError).field).toBe('administratorPassword');
    for (const harnessed of [h, explicitNo]) {
      expect(harnessed.server.seen).toEqual([]);
      expect(harnessed.record).toEqual([]);
    }
    // A password together with the prompt allowance is contradictory and refused at construction.
    const both = (() => {
      try {
        return new WindowsOsModule({ runnerFor: () => undefined as never, administratorPassword: Secret.of(ADMIN_PASSWORD), unattend: { promptForAdministratorPassword: true } });
      } catch (error) {
        return error;
      }
    })();
    expect(both).toBeInstanceOf(InvalidInputError);
    expect((both as InvalidInputError).field).toBe('unattend.promptForAdministratorPassword');
    // An empty password would count as configured and blank the Administrator password on every clone.
    expect(() => new WindowsOsModule({ runnerFor: () => undefined as never, administratorPassword: Secret.of('') })).toThrow(/administratorPassword.*must not be empty/);
  });

  it('waitForResponse on a node whose SSH refuses gives a TimeoutError naming the node, and stops on abort', async () => {
    const h = await harness('wait.json');
    await h.server.close();
    const gone = { name: 'win-gone', address: { host: '127.0.0.1', port: h.server.port } };
    const error = await caught(h.module.waitForResponse({ node: gone, timeoutMs: 800 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).awaited).toContain('win-gone');
    expect((error as TimeoutError).lastState).toContain('ECONNREFUSED');
    const controller = new AbortController();
    const waiting = caught(h.module.waitForResponse({ node: gone, timeoutMs: 600_000, signal: controller.signal }));
    controller.abort();
    expect(await waiting).toBeInstanceOf(AbortedError);
  });
});
