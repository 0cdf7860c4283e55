import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.ts';
import { checkConfig, nodeFromConfig } from './config.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { parseBytes, parseWholeNumber } from './units.ts';
import { ConnectionError, HostKeyMismatchError, HostStorageFullError, InvalidInputError, OperationFailedError, ResourceBusyError, TlsVerificationFailedError, UnsupportedFunctionalityError } from '@provkit/core';

/**
 * A project folder as a user has it: a provkit.yaml and, in its node_modules, a third-party
 * module package (test-support/recording-module) that records the calls the CLI makes.
 */
let project: string;
let calls: Array<Record<string, unknown>>;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'provkit-cli-project-'));
  const installed = join(project, 'node_modules', 'provkit-recording-module');
  mkdirSync(installed, { recursive: true });
  cpSync(join(import.meta.dirname, '..', 'test-support', 'recording-module'), installed, { recursive: true });
  writeFileSync(
    join(project, 'provkit.yaml'),
    'provisioner: { kind: "module:provkit-recording-module", anything: goes }\nos: { kind: "module:provkit-recording-module" }\nnodes: { web-1: { address: { host: 192.0.2.5, port: 2201 } } }\n',
  );
  writeFileSync(join(project, 'other.yaml'), 'provisioner: { kind: "module:provkit-recording-module" }\n');
  writeFileSync(join(project, 'id.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHrecorded user@example\n');
  writeFileSync(join(project, 'password.txt'), 'From-A-File-1\nignored second line\n');
  calls = ((await import(pathToFileURL(join(installed, 'index.js')).href)) as { calls: Array<Record<string, unknown>> }).calls;
});

beforeEach(() => {
  calls.length = 0;
});

/** Runs the CLI in the project folder, as `provkit <argv> --json`, and parses stdout. */
async function json(...argv: string[]): Promise<{ code: number; out: Record<string, unknown>; stderr: string }> {
  const run = await runCli([...argv, '--json'], { cwd: project });
  return { code: run.code, out: JSON.parse(run.stdout) as Record<string, unknown>, stderr: run.stderr };
}

function operations(): string[] {
  return calls.map((call) => String(call.operation)).filter((operation) => operation !== 'close');
}

describe('provkit command line', () => {
  it('prints usage with --help (exit 0) and without a command (exit 2)', async () => {
    expect(await runCli(['--help'])).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('usage: provkit') });
    expect((await runCli([])).code).toBe(EXIT.usage);
  });

  it('answers an unknown command with exit 2 and a missing config with the configuration code, as JSON under --json', async () => {
    const unknown = await runCli(['frobnicate', '--json']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining('frobnicate'), retryable: false } });
    const missing = await runCli(['images', '--config', '/nonexistent/provkit.yaml']);
    expect(missing.code).toBe(EXIT.configuration);
    expect(missing.stderr).toContain('no configuration file at /nonexistent/provkit.yaml');
  });

  it('refuses a bad configuration file with the configuration code, naming the field with a did-you-mean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'provkit-cli-'));
    const write = (name: string, text: string): string => (writeFileSync(join(dir, name), text), join(dir, name));
    const noKind = await runCli(['images', '--config', write('a.yaml', 'provisioner: { host: x }\n')]);
    expect(noKind.code).toBe(EXIT.configuration);
    expect(noKind.stderr).toContain('Invalid provisioner.kind: is required');
    const typo = await runCli(['images', '--config', write('b.yaml', 'provisioner: { kind: kvm, host: local, libaryDir: /a, nodeDiskDir: /b }\n')]);
    expect(typo.code).toBe(EXIT.configuration);
    expect(typo.stderr).toContain('Invalid provisioner.libaryDir: unknown setting; did you mean libraryDir? [INVALID_INPUT]');
    const stranger = await runCli(['images', '--config', write('c.yaml', 'provisioner: { kind: kvm, host: local, libraryDir: /a, nodeDiskDir: /b }\nnodez: {}\n')]);
    expect(stranger.stderr).toContain('Invalid nodez: unknown setting; did you mean nodes?');
    const kind = await runCli(['images', '--config', write('d.yaml', 'provisioner: { kind: kvn }\n')]);
    expect(kind.stderr).toContain('Invalid provisioner.kind: "kvn" is not kvm, esx or module:<package>');
    const knownHosts = await runCli(['images', '--config', write('e.yaml', 'provisioner: { kind: kvm, host: { host: kvm1, privateKeyPath: /etc/hostname }, libraryDir: /a, nodeDiskDir: /b }\n')]);
    expect(knownHosts.stderr).toContain('Invalid provisioner.host.knownHostsPath: is required (or hostKeyFingerprint): host keys are always verified;');
  });

  it('finds module:<package> in the working directory first; an unknown package is a configuration error', async () => {
    expect((await json('images')).out).toEqual({ images: [expect.objectContaining({ name: 'wanted-v1' })] });
    const dir = mkdtempSync(join(tmpdir(), 'provkit-cli-'));
    writeFileSync(join(dir, 'provkit.yaml'), 'provisioner: { kind: "module:provkit-no-such-package" }\n');
    const unknown = await runCli(['images', '--json'], { cwd: dir });
    expect(unknown.code).toBe(EXIT.configuration);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { code: 'INVALID_INPUT', message: expect.stringContaining(`Invalid provisioner.kind: cannot find package provkit-no-such-package from ${dir}`), retryable: false } });
  });

  it('runs every provisioner operation, each with --json', async () => {
    expect(await json('status', 'web-1', '--image', 'wanted-v1')).toMatchObject({ code: EXIT.ok, out: { status: 'ready' } });
    expect((await json('status', 'web-1', '--image', 'other-v1')).code).toBe(EXIT.notReady);
    expect(await json('load', 'web-1', 'wanted-v1', '--memory', '2GB', '--cpus', '2', '--full-copy')).toMatchObject({ code: EXIT.ok, out: { node: 'web-1', image: 'wanted-v1' } });
    expect(calls.find((call) => call.operation === 'load')).toMatchObject({ node: { name: 'web-1', address: { host: '192.0.2.5', port: 2201 } }, image: 'wanted-v1', size: { cpus: 2, memoryBytes: 2e9 }, diskMode: 'full', signal: true });
    expect(await json('capture', 'web-1', 'wanted-v2', '--end-state', 'reboot')).toMatchObject({ code: EXIT.ok, out: { image: 'wanted-v2', sizeBytes: 1048576 } });
    expect(await json('unload', 'web-1')).toMatchObject({ code: EXIT.ok, out: { node: 'web-1', unloaded: true } });
    expect(await json('power', 'on', 'web-1')).toMatchObject({ code: EXIT.ok, out: { action: 'on', power: 'on' } });
    expect(await json('power', 'off', 'web-1', '--mode', 'hard', '--timeout', '5000')).toMatchObject({ code: EXIT.ok, out: { action: 'off' } });
    expect(calls.find((call) => call.operation === 'powerOff')).toMatchObject({ mode: 'hard', timeoutMs: 5000 });
    expect(await json('power', 'reset', 'web-1')).toMatchObject({ code: EXIT.ok });
    expect(await json('power', 'status', 'web-1')).toMatchObject({ code: EXIT.ok, out: { node: 'web-1', power: 'on' } });
    expect(await json('current-image', 'web-1')).toMatchObject({ code: EXIT.ok, out: { image: 'wanted-v1' } });
    expect(await json('current-image', 'blank', '--address', '127.0.0.1:2222')).toMatchObject({ code: EXIT.notFound, out: { image: null } });
    expect(await json('images', '--base', 'wanted')).toMatchObject({ code: EXIT.ok });
    expect(await json('image', 'size', 'wanted-v1')).toMatchObject({ code: EXIT.ok, out: { image: 'wanted-v1', virtualBytes: 2097152, allocatedBytes: 1048576 } });
    expect(await json('image', 'exists', 'wanted-v1')).toMatchObject({ code: EXIT.ok, out: { exists: true } });
    expect(await json('image', 'exists', 'other-v1')).toMatchObject({ code: EXIT.notFound, out: { exists: false } });
    expect(await json('image', 'delete', 'wanted-v1')).toMatchObject({ code: EXIT.ok, out: { image: 'wanted-v1', deleted: true } });
    expect(await json('image', 'retrieve', 'wanted-v1', '--from-config', 'other.yaml')).toMatchObject({ code: EXIT.ok, out: { image: 'wanted-v1', retrieved: true } });
    expect(calls.find((call) => call.operation === 'retrieveImage')).toMatchObject({ image: 'wanted-v1', from: 'recording' });
    // leftovers is the KVM provisioner's own operation: another provisioner says it has none.
    expect((await runCli(['leftovers', '--remove'], { cwd: project })).code).toBe(EXIT.unsupported);
    expect(operations()).toEqual(
      expect.arrayContaining(['nodeStatus', 'load', 'capture', 'unload', 'powerOn', 'powerOff', 'powerReset', 'powerStatus', 'getCurrentImage', 'getImageSize', 'doesImageExist', 'retrieveImage', 'listImages', 'deleteImage']),
    );
  });

  it('runs every OS module operation, each with --json, passwords never from argv', async () => {
    process.env.PROVKIT_TEST_CLI_PASSWORD = 'From-The-Env-1';
    try {
      expect(await json('os', 'wait', 'web-1', '--timeout', '30000')).toMatchObject({ code: EXIT.ok, out: { node: 'web-1', action: 'wait' } });
      expect(await json('os', 'post-load', 'web-1', 'wanted-v1')).toMatchObject({ code: EXIT.ok });
      expect(await json('os', 'pre-capture', 'web-1', '--end-state', 'on')).toMatchObject({ code: EXIT.ok, out: { endState: 'on', operations: [expect.objectContaining({ name: 'machine-id' })] } });
      const added = await json('os', 'add-user', 'web-1', 'alice', '--admin', '--ssh-key', join(project, 'id.pub'), '--password-env', 'PROVKIT_TEST_CLI_PASSWORD');
      expect(added).toMatchObject({ code: EXIT.ok, out: { username: 'alice', admin: true, sshPublicKeys: 1 } });
      expect(calls.find((call) => call.operation === 'createUser')).toMatchObject({ username: 'alice', admin: true, password: 'From-The-Env-1', sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHrecorded user@example'] });
      expect(await json('os', 'delete-user', 'web-1', 'alice', '--remove-home')).toMatchObject({ code: EXIT.ok });
      expect(calls.find((call) => call.operation === 'deleteUser')).toMatchObject({ username: 'alice', removeHome: true });
      expect(await json('os', 'set-password', 'web-1', 'alice', '--password-file', join(project, 'password.txt'))).toMatchObject({ code: EXIT.ok });
      expect(calls.find((call) => call.operation === 'setPassword')).toMatchObject({ username: 'alice', password: 'From-A-File-1' });
      const randomized = await json('os', 'randomize-passwords', 'web-1');
      expect(randomized).toMatchObject({ code: EXIT.ok, out: { users: ['root'] } });
      expect(JSON.stringify(randomized)).not.toContain('Random-Secret-1');
      expect(await json('os', 'grant-access', 'web-1', '198.51.100.7', '--port', '22', '--port', '3389')).toMatchObject({ code: EXIT.ok, out: { remoteIp: '198.51.100.7', ports: [22, 3389] } });
      expect(await json('os', 'revoke-access', 'web-1', '198.51.100.7', '--port', '22')).toMatchObject({ code: EXIT.ok });
      expect(await json('os', 'read-image', 'web-1')).toMatchObject({ code: EXIT.ok, out: { currentImage: { image: 'wanted-v1', postLoadDone: true } } });
      expect(await json('os', 'write-image', 'web-1', 'wanted-v2', '--property', 'id=8', '--post-load-done')).toMatchObject({ code: EXIT.ok });
      expect(calls.find((call) => call.operation === 'writeCurrentImage')).toMatchObject({ info: { image: 'wanted-v2', properties: { id: '8', vcld_post_load: expect.stringMatching(/^success \(\d+\)$/) }, postLoadDone: true } });
      expect(await json('os', 'shutdown', 'web-1')).toMatchObject({ code: EXIT.ok });
      expect(await json('os', 'reboot', 'web-1', '--timeout', '60000')).toMatchObject({ code: EXIT.ok });
      expect(operations()).toEqual(
        expect.arrayContaining(['waitForResponse', 'postLoad', 'preCapture', 'createUser', 'deleteUser', 'setPassword', 'randomizeAdminPasswords', 'grantAccess', 'revokeAccess', 'readCurrentImage', 'writeCurrentImage', 'shutdown', 'reboot']),
      );
    } finally {
      delete process.env.PROVKIT_TEST_CLI_PASSWORD;
    }
  });

  it('refuses bad flags before calling any module, with messages that read', async () => {
    const refusals: Array<[string[], string]> = [
      [['load', 'web-1', 'wanted-v1', '--memory', 'NaN'], 'Invalid --memory: "NaN" is not a size like 512MiB'],
      [['load', 'web-1', 'wanted-v1', '--cpus', 'two'], 'Invalid --cpus: "two" is not a whole number from 1 to 256'],
      [['load', 'web-1', 'wanted-v1', '--disk', '2g'], 'Invalid --disk: "2g" is not a size'],
      [['capture', 'web-1', 'x-v1', '--end-state', 'sideways'], 'Invalid --end-state: "sideways" is not one of off, on, reboot'],
      [['os', 'set-password', 'web-1', 'alice'], 'never the password itself on the command line'],
      [['os', 'set-password', 'web-1', 'alice', '--password-env', 'hasOwnProperty'], 'Invalid --password-env: environment variable hasOwnProperty is not set'],
      [['os', 'grant-access', 'web-1', '198.51.100.7'], 'Invalid --port: is required'],
      [['os', 'grant-access', 'web-1', '198.51.100.7', '--port', '70000'], 'Invalid --port: "70000" is not a whole number from 1 to 65535'],
      [['image', 'retrieve', 'wanted-v1'], 'Invalid --from-config: is required'],
      [['power', 'sideways', 'web-1'], 'usage: provkit power on|off|reset|status'],
      [['os', 'add-user', 'web-1', 'alice', '--password', 'x'], "Unknown option '--password'"],
    ];
    for (const [argv, message] of refusals) {
      const run = await runCli([...argv, '--json'], { cwd: project });
      expect(run.code, argv.join(' ')).toBe(EXIT.usage);
      expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message, argv.join(' ')).toContain(message);
    }
    expect(operations()).toEqual([]);
  });

  it('loads with --disk alone, leaving cpus and memory to the provisioner defaults', async () => {
    expect((await json('load', 'web-1', 'wanted-v1', '--disk', '40GiB')).code).toBe(EXIT.ok);
    expect(calls.find((call) => call.operation === 'load')?.size).toEqual({ diskBytes: 40 * 1024 ** 3 });
  });

  it('checks a configuration without connecting, and prints its JSON Schema', async () => {
    expect(await json('config', 'check')).toMatchObject({ code: EXIT.ok, out: { valid: true, provisioner: 'recording', os: 'recording' } });
    const schema = await runCli(['config', 'schema']);
    expect(JSON.parse(schema.stdout)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', properties: { provisioner: expect.any(Object) } });
  });

  it('reads nodes from the configuration and lets --address override them', () => {
    const config = checkConfig({ provisioner: { kind: 'kvm' }, nodes: { 'web-1': { address: { host: '192.0.2.5', port: 2201 } } } });
    expect(nodeFromConfig(config, 'web-1')).toEqual({ name: 'web-1', address: { host: '192.0.2.5', port: 2201 } });
    expect(nodeFromConfig(config, 'web-1', '127.0.0.1:2222')).toEqual({ name: 'web-1', address: { host: '127.0.0.1', port: 2222 } });
    expect(nodeFromConfig(config, 'other')).toEqual({ name: 'other' });
    expect(nodeFromConfig(config, 'hasOwnProperty')).toEqual({ name: 'hasOwnProperty' });
  });

  it('parses sizes as the configuration file does: binary KiB..TiB, decimal KB..TB, any case', () => {
    expect(parseBytes('--memory', '512MiB')).toBe(512 * 1024 ** 2);
    expect(parseBytes('--memory', '1 GiB')).toBe(1024 ** 3);
    expect(parseBytes('--memory', '2GB')).toBe(2e9);
    expect(parseBytes('--memory', '2gib')).toBe(2 * 1024 ** 3);
    expect(parseBytes('--disk', '1.5 TB')).toBe(1.5e12);
    for (const bad of ['lots', 'NaN', '2', '2g', '-1GiB', '0GiB']) expect(() => parseBytes('--memory', bad), bad).toThrow(/--memory/);
    expect(parseWholeNumber('--cpus', '4')).toBe(4);
    for (const bad of ['0', '1.5', 'NaN', '', '1e3']) expect(() => parseWholeNumber('--cpus', bad), bad).toThrow(InvalidInputError);
  });

  it('maps each failure class to its documented exit code', () => {
    expect(exitCodeFor(new InvalidInputError('--cpus', 'bad'))).toBe(EXIT.usage);
    expect(exitCodeFor(new InvalidInputError('provisioner.libraryDir', 'bad'), { configuration: true })).toBe(EXIT.configuration);
    expect(exitCodeFor(new ConnectionError('h', 'getaddrinfo ENOTFOUND h'))).toBe(EXIT.connection);
    expect(exitCodeFor(new UnsupportedFunctionalityError('grantAccess', 'x'))).toBe(EXIT.unsupported);
    expect(exitCodeFor(new ResourceBusyError('node web-1', 600_000))).toBe(EXIT.conflict);
    // A refused SSH host key and a refused TLS certificate are the same exit: the peer is not the one trusted.
    expect(exitCodeFor(new HostKeyMismatchError('root@kvm1:22', 'SHA256:expected', 'SHA256:offered'))).toBe(EXIT.hostKey);
    expect(exitCodeFor(new TlsVerificationFailedError('vcenter.example.org:443', 'a certificate trusted by the configured CAs', 'an untrusted certificate (SELF_SIGNED_CERT_IN_CHAIN)'))).toBe(EXIT.hostKey);
    expect(exitCodeFor(new Error('bug'))).toBe(EXIT.failure);
    // A load that failed because the host's disk filled up exits with the full disk's code, not 1.
    expect(exitCodeFor(new OperationFailedError('load', 'prepare-disk', new HostStorageFullError('root@kvm1:22', '/var/lib/provkit/nodes/web-1.qcow2')))).toBe(EXIT.storageFull);
  });
});
