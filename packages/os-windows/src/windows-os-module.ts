import {
  assertAccess,
  assertImageName,
  assertNode,
  assertPositiveInteger,
  assertObject,
  assertOneOf,
  assertOperationOptions,
  assertOptionalObject,
  assertOptionalTimeoutMs,
  BaseOsModule,
  CommandFailedError,
  ConnectionError,
  createEmitter,
  InvalidInputError,
  KeyedMutex,
  parseCurrentImageText,
  ProgressReporter,
  redact,
  OperationFailedError,
  Secret,
  type AccessOptions,
  type CreateUserOptions,
  type CurrentImageInfo,
  type Customization,
  type DeleteUserOptions,
  type EndState,
  type NodeOperationOptions,
  type NodeSpec,
  type OperationReport,
  type PostLoadOptions,
  type PreCaptureOptions,
  type PreCaptureResult,
  type RandomizedPasswords,
  type SetPasswordOptions,
  type WaitOptions,
  type WriteCurrentImageOptions,
  raw,
} from '@provkit/core';
import {
  tail,
  type CommandResult,
  type CommandRunner,
  type RunnerFactory,
} from '@provkit/runners';
import { formatCurrentImage } from './current-image-text.ts';
import { decodeClixml } from './powershell/clixml.ts';
import { encodeCommand } from './powershell/encode-command.ts';
import type { PsFragment } from './powershell/quote.ts';
import { readFileScript, writeFileScript } from './scripts/file-scripts.ts';
import { grantAccessScript, revokeAccessScript } from './scripts/firewall-scripts.ts';
import { powerScript, runArgvScript, startSysprepScript, type SysprepExit } from './scripts/power-scripts.ts';
import { renameComputerScript } from './scripts/system-scripts.ts';
import { authorizeAdministratorKeysScript, createUserScript, deleteUserScript, listAdministratorsScript, setPasswordsScript } from './scripts/user-scripts.ts';
import { checkStoreApps, runCleanupStep } from './pre-capture-steps.ts';
import { outputValue, outputValues } from './script-output.ts';
import { buildUnattendXml, validateUnattendOptions, type UnattendOptions } from './unattend/unattend-xml.ts';
import type { RunSpec, WindowsOsModuleOptions } from './windows-os-module-options.ts';
import { GENERALIZED_IMAGE_STATE, probe, waitForBoot, waitForGone, waitForSysprep, type WaitContext } from './node-waits.ts';
import { complexPassword, selectOperations, validateCustomization, validateUser, WINDOWS_PRE_CAPTURE_OPERATIONS, type WindowsPreCaptureOperation } from './windows-inputs.ts';
import { assertCmdSafeWindowsPath, assertWindowsPassword, assertWindowsPath, assertWindowsUsername } from './windows-validators.ts';

export { GENERALIZED_IMAGE_STATE };

export { WINDOWS_PRE_CAPTURE_OPERATIONS, type WindowsPreCaptureOperation };
export type { WindowsOsModuleOptions };

const SSH_KEYGEN_COMMAND = 'cmd.exe /c if exist "%windir%\\System32\\OpenSSH\\ssh-keygen.exe" "%windir%\\System32\\OpenSSH\\ssh-keygen.exe" -A';

const SYSPREP_EXIT: Record<EndState, SysprepExit> = { off: 'shutdown', on: 'quit', reboot: 'reboot' };

/**
 * The Windows OS module: drives Windows Server 2019+ / Windows 10 1809+ guests through their
 * OpenSSH server, running every script as `powershell -EncodedCommand` (so no quoting reaches
 * cmd.exe) and passing secrets on stdin. `preCapture` runs VCL's cleanup, then Sysprep with an
 * answer file this module generates.
 */
export class WindowsOsModule extends BaseOsModule {
  readonly os = 'windows';
  readonly #runnerFor: RunnerFactory;
  readonly #administratorPassword: Secret | undefined;
  readonly #unattend: Omit<UnattendOptions, 'administratorPassword'>;
  readonly #vmMode: boolean;
  readonly #currentImagePath: string;
  readonly #unattendPath: string;
  readonly #commandTimeoutMs: number;
  readonly #sysprepTimeoutMs: number;
  readonly #waitTimeoutMs: number;
  readonly #shutdownDelay: number;
  readonly #pollDelay: { initial?: number; max?: number };
  readonly #nodes = new KeyedMutex();
  readonly #onClose: (() => Promise<void> | void) | undefined;

  constructor(options: WindowsOsModuleOptions) {
    assertObject('options', options);
    super({ firewall: true, generalize: true, users: true }, options.events ?? createEmitter());
    if (typeof options.runnerFor !== 'function') throw new InvalidInputError('runnerFor', 'must be a function returning a command runner');
    this.#runnerFor = options.runnerFor;
    this.#administratorPassword = options.administratorPassword;
    if (options.administratorPassword) {
      if (!Secret.isSecret(options.administratorPassword)) throw new InvalidInputError('administratorPassword', 'must be a Secret');
      assertWindowsPassword('administratorPassword', options.administratorPassword.reveal());
      // An empty one would pass for "configured" and give every clone a blank Administrator password.
      if (options.administratorPassword.reveal() === '') throw new InvalidInputError('administratorPassword', 'must not be empty (leave it unset to be refused at preCapture, or allow unattend.promptForAdministratorPassword)');
    }
    this.#currentImagePath = assertWindowsPath('currentImagePath', options.currentImagePath ?? 'C:\\ProgramData\\provkit\\currentimage.txt');
    // It goes into the answer file's cmd.exe clean-up step too.
    this.#unattendPath = assertCmdSafeWindowsPath('unattendPath', options.unattendPath ?? 'C:\\Windows\\Temp\\provkit-unattend.xml');
    this.#unattend = assertOptionalObject('unattend', options.unattend) ?? {};
    // Checked as given, before this module adds its own steps to the list.
    validateUnattendOptions(this.#unattend);
    this.#vmMode = options.sysprepVmMode ?? false;
    this.#commandTimeoutMs = assertOptionalTimeoutMs('commandTimeoutMs', options.commandTimeoutMs, { min: 1 }) ?? 120_000;
    this.#sysprepTimeoutMs = assertOptionalTimeoutMs('sysprepTimeoutMs', options.sysprepTimeoutMs, { min: 1 }) ?? 30 * 60_000;
    this.#waitTimeoutMs = assertOptionalTimeoutMs('waitTimeoutMs', options.waitTimeoutMs, { min: 1 }) ?? 10 * 60_000;
    this.#shutdownDelay = options.shutdownDelaySeconds ?? 3;
    this.#pollDelay = options.pollDelayMs ?? {};
    this.#onClose = options.onClose;
    // Refuse a bad answer-file setting now rather than at capture time. A missing password is
    // refused by preCapture only: the module is still useful for users, access and power.
    validateUnattendOptions(this.#unattendOptions());
  }

  /** The answer file for this module's settings (secret: it holds the encoded password). */
  #unattendXml(operations: readonly WindowsPreCaptureOperation[]): string {
    return buildUnattendXml(this.#unattendOptions(operations));
  }

  /** The configured answer-file settings plus this module's own specialize commands and the password. */
  #unattendOptions(operations: readonly WindowsPreCaptureOperation[] = WINDOWS_PRE_CAPTURE_OPERATIONS): UnattendOptions {
    const runSynchronous = [
      ...(this.#unattend.runSynchronous ?? []),
      // The original answer file would otherwise stay in every clone; Setup has cached it by now.
      { path: `cmd.exe /c del /f /q "${this.#unattendPath}"`, description: 'provkit: remove the answer file' },
    ];
    if (operations.includes('remove-ssh-host-keys')) {
      // sshd makes missing host keys when it starts; this makes sure of it before OOBE (-A only adds missing ones).
      runSynchronous.push({ path: SSH_KEYGEN_COMMAND, description: 'provkit: create this clone\'s SSH host keys' });
    }
    const options: UnattendOptions = { ...this.#unattend, runSynchronous };
    if (this.#administratorPassword) options.administratorPassword = this.#administratorPassword;
    return options;
  }

  async waitForResponse(options: WaitOptions): Promise<void> {
    const node = this.#input(options, { timeout: true });
    await waitForBoot(this.#waitContext(node), options.timeoutMs ?? this.#waitTimeoutMs, options.signal, () => true);
  }

  /** Refuses, naming the field, what `postLoad` would refuse (computer name, users, keys, argv), without a guest. */
  override checkCustomization(customization: Customization): void {
    super.checkCustomization(customization);
    validateCustomization(customization);
  }

  async postLoad(options: PostLoadOptions): Promise<void> {
    const node = this.#input(options);
    const image = assertImageName('image', options.image);
    const customization = validateCustomization(options.customization);
    const progress = new ProgressReporter(this.events, { operation: 'postLoad', node: node.name }, options.onProgress);
    await this.#nodes.run(
      node.name,
      async () => {
        await waitForBoot(this.#waitContext(node), this.#waitTimeoutMs, options.signal, () => true);
        progress.step('responding');
        if (customization.hostname !== undefined) {
          const renamed = await this.#run(node, renameComputerScript(customization.hostname), { signal: options.signal });
          if (outputValue(renamed.stdout, 'renamed') === 'true') {
            await this.#rebootAndWait(node, this.#waitTimeoutMs, options.signal);
            progress.step('hostname-set', `renamed to ${customization.hostname} and restarted`);
          } else progress.step('hostname-set', `already ${customization.hostname}`);
        }
        for (const user of customization.users ?? []) {
          await this.#createUser(node, user, options.signal);
          progress.step('user-created', user.username);
        }
        if (customization.sshAuthorizedKeys && customization.sshAuthorizedKeys.length > 0) {
          await this.#authorizeKeys(node, customization.sshAuthorizedKeys, options.signal);
          progress.step('keys-authorized', `${customization.sshAuthorizedKeys.length} key(s)`);
        }
        if (customization.firstBootCommand) {
          await this.#run(node, runArgvScript(customization.firstBootCommand), { signal: options.signal, timeoutMs: Math.max(this.#commandTimeoutMs, 30 * 60_000) });
          progress.step('first-boot-command-done');
        }
        const current = await this.#readCurrentImage(node, options.signal);
        const properties = current?.image === image ? current.properties : {};
        await this.#writeCurrentImage(node, { image, properties, postLoadDone: true }, options.signal);
        progress.step('post-load-done', image);
      },
      options.signal,
    );
  }

  override async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    const node = this.#input(options, { timeout: true });
    const endState = options.endState === undefined ? 'off' : assertOneOf('endState', options.endState, ['on', 'off', 'reboot']);
    const operations = selectOperations(options.operations);
    if (!this.#administratorPassword && this.#unattend.promptForAdministratorPassword !== true) {
      throw new InvalidInputError(
        'administratorPassword',
        'is required to capture: without it the answer file sets no Administrator password, and OOBE on every clone stops to ask for one (Windows Server always does), so the image never finishes booting unattended; configure administratorPassword, or set unattend.promptForAdministratorPassword: true for an image that may prompt',
      );
    }
    const timeoutMs = options.timeoutMs === undefined ? this.#sysprepTimeoutMs : assertPositiveInteger('timeoutMs', options.timeoutMs);
    const signal = options.signal;
    const progress = new ProgressReporter(this.events, { operation: 'preCapture', node: node.name }, options.onProgress);
    return this.#nodes.run(
      node.name,
      async () => {
        const step = async <T>(name: string, task: () => Promise<T>): Promise<T> => {
          try {
            return await task();
          } catch (error) {
            throw new OperationFailedError('preCapture', name, error);
          }
        };

        const warn = (message: string): void => void this.events.emit('warning', { operation: 'preCapture', node: node.name, message });
        const problems = await checkStoreApps((script) => this.#run(node, script, { signal }), warn);
        progress.step('appx-checked', problems === undefined ? 'could not check Store apps' : `${problems} package(s) that may make Sysprep fail`);

        const reports: OperationReport[] = [];
        for (const name of operations) {
          const report = await step(name, () =>
            runCleanupStep(name, (script, spec = {}) => this.#run(node, script, { ...spec, signal }), {
              administratorPassword: this.#administratorPassword,
              warn,
            }),
          );
          reports.push(report);
          progress.step(name, report.detail);
        }

        await step('write-unattend', async () => {
          const xml = this.#unattendXml(operations);
          const secrets = this.#administratorPassword ? [this.#administratorPassword] : [];
          await this.#run(node, writeFileScript(this.#unattendPath, { adminOnly: true }), { stdin: Secret.of(xml), secrets, signal });
          progress.step('unattend-written', this.#unattendPath);
        });

        await step('start-sysprep', async () => {
          try {
            const started = await this.#run(node, startSysprepScript(this.#unattendPath, SYSPREP_EXIT[endState], this.#vmMode), { signal });
            progress.step('sysprep-started', `process ${outputValue(started.stdout, 'pid') ?? 'unknown'}, /${SYSPREP_EXIT[endState]}`);
          } catch (error) {
            // Sysprep may take the machine down before the launching command reports back.
            if (!(error instanceof ConnectionError)) throw error;
            progress.step('sysprep-started', 'the SSH session dropped while Sysprep started (expected)');
          }
        });

        await step('wait-for-sysprep', () => waitForSysprep(this.#waitContext(node), endState, timeoutMs, signal));
        progress.step(endState === 'on' ? 'generalized' : endState === 'off' ? 'shut-down' : 'rebooting', `Sysprep finished; ${GENERALIZED_IMAGE_STATE}`);
        return { operations: reports, endState };
      },
      signal,
    );
  }

  override async createUser(options: CreateUserOptions): Promise<void> {
    const node = this.#input(options);
    const user = validateUser('', options);
    await this.#nodes.run(node.name, () => this.#createUser(node, user, options.signal), options.signal);
  }

  async #createUser(node: NodeSpec, user: CreateUserOptions | NonNullable<Customization['users']>[number], signal: AbortSignal | undefined): Promise<void> {
    const secrets = user.password ? [user.password] : [];
    const input = Secret.of(JSON.stringify({ password: user.password ? user.password.reveal() : null }));
    await this.#run(node, createUserScript(user.username, user.admin ?? false), { stdin: input, secrets, signal });
    if (user.sshPublicKeys && user.sshPublicKeys.length > 0) await this.#authorizeKeys(node, user.sshPublicKeys, signal);
  }

  async #authorizeKeys(node: NodeSpec, keys: readonly string[], signal: AbortSignal | undefined): Promise<void> {
    await this.#run(node, authorizeAdministratorKeysScript(), { stdin: JSON.stringify({ keys }), signal });
  }

  override async deleteUser(options: DeleteUserOptions): Promise<void> {
    const node = this.#input(options);
    const username = assertWindowsUsername('username', options.username);
    await this.#nodes.run(node.name, () => this.#run(node, deleteUserScript(username, options.removeHome ?? true), { signal: options.signal }), options.signal);
  }

  override async setPassword(options: SetPasswordOptions): Promise<void> {
    const node = this.#input(options);
    const username = assertWindowsUsername('username', options.username);
    if (!Secret.isSecret(options.password)) throw new InvalidInputError('password', 'must be a Secret');
    assertWindowsPassword('password', options.password.reveal());
    await this.#nodes.run(node.name, () => this.#setPasswords(node, { [username]: options.password }, options.signal), options.signal);
  }

  override async randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords> {
    const node = this.#input(options);
    return this.#nodes.run(
      node.name,
      async () => {
        const listed = await this.#run(node, listAdministratorsScript(), { signal: options.signal });
        const passwords: Record<string, Secret> = {};
        // Names come from the guest and travel only inside the JSON on stdin, so any account name works.
        for (const name of outputValues(listed.stdout, 'user')) if (name.length > 0) passwords[name] = complexPassword();
        if (Object.keys(passwords).length > 0) await this.#setPasswords(node, passwords, options.signal);
        return { passwords };
      },
      options.signal,
    );
  }

  async #setPasswords(node: NodeSpec, passwords: Record<string, Secret>, signal: AbortSignal | undefined): Promise<void> {
    const plain = Object.fromEntries(Object.entries(passwords).map(([name, password]) => [name, password.reveal()]));
    await this.#run(node, setPasswordsScript(), { stdin: Secret.of(JSON.stringify(plain)), secrets: Object.values(passwords), signal });
  }

  override async grantAccess(options: AccessOptions): Promise<void> {
    const node = this.#input(options);
    const { remoteIp, ports } = assertAccess(options);
    await this.#nodes.run(node.name, () => this.#run(node, grantAccessScript(remoteIp, ports), { signal: options.signal }), options.signal);
    this.progress('grantAccess', node.name).step('access-granted', `TCP ${ports.join(', ')} from ${remoteIp}`);
  }

  override async revokeAccess(options: AccessOptions): Promise<void> {
    const node = this.#input(options);
    const { remoteIp, ports } = assertAccess(options);
    await this.#nodes.run(node.name, () => this.#run(node, revokeAccessScript(remoteIp, ports), { signal: options.signal }), options.signal);
    this.progress('revokeAccess', node.name).step('access-revoked', `TCP ${ports.join(', ')} from ${remoteIp}`);
  }

  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    return this.#readCurrentImage(this.#input(options), options.signal);
  }

  async #readCurrentImage(node: NodeSpec, signal: AbortSignal | undefined): Promise<CurrentImageInfo | undefined> {
    const result = await this.#run(node, readFileScript(this.#currentImagePath), { signal });
    const content = outputValue(result.stdout, 'content');
    if (content === undefined) return undefined;
    return parseCurrentImageText(Buffer.from(content, 'base64').toString('utf8'));
  }

  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    const node = this.#input(options);
    const text = formatCurrentImage(options.info);
    await this.#nodes.run(node.name, () => this.#run(node, writeFileScript(this.#currentImagePath), { stdin: text, signal: options.signal }), options.signal);
  }

  async #writeCurrentImage(node: NodeSpec, info: CurrentImageInfo, signal: AbortSignal | undefined): Promise<void> {
    await this.#run(node, writeFileScript(this.#currentImagePath), { stdin: formatCurrentImage(info), signal });
  }

  async shutdown(options: WaitOptions): Promise<void> {
    const node = this.#input(options, { timeout: true });
    const timeoutMs = options.timeoutMs ?? this.#waitTimeoutMs;
    await this.#nodes.run(
      node.name,
      async () => {
        await this.#run(node, powerScript('shutdown', this.#shutdownDelay), { signal: options.signal });
        await waitForGone(this.#waitContext(node), timeoutMs, options.signal);
        this.progress('shutdown', node.name).step('shut-down');
      },
      options.signal,
    );
  }

  async reboot(options: WaitOptions): Promise<void> {
    const node = this.#input(options, { timeout: true });
    await this.#nodes.run(node.name, () => this.#rebootAndWait(node, options.timeoutMs ?? this.#waitTimeoutMs, options.signal), options.signal);
    this.progress('reboot', node.name).step('rebooted');
  }

  /** Restarts and waits for a different boot time, so the old boot answering late is not mistaken for the new one. */
  async #rebootAndWait(node: NodeSpec, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const before = await probe(this.#waitContext(node), signal, Math.min(this.#commandTimeoutMs, 60_000));
    await this.#run(node, powerScript('reboot', this.#shutdownDelay), { signal });
    await waitForBoot(this.#waitContext(node), timeoutMs, signal, (boot) => boot !== before);
  }

  #waitContext(node: NodeSpec): WaitContext {
    return { node, run: (script, spec) => this.#run(node, script, spec), commandTimeoutMs: this.#commandTimeoutMs, pollDelay: this.#pollDelay };
  }

  /** Encodes and runs one script (refusing an oversized one before anything runs), decoding CLIXML errors. */
  async #run(node: NodeSpec, script: PsFragment, spec: RunSpec = {}): Promise<CommandResult> {
    const argv = encodeCommand(script);
    const runner = this.#runnerFor(node);
    const secrets = [...(spec.secrets ?? [])];
    let stdin: string | Secret | undefined;
    if (spec.stdin !== undefined) {
      // Scripts read stdin as base64 (see READ_INPUT); a secret stays a Secret in its encoded form too.
      const encoded = Buffer.from(Secret.isSecret(spec.stdin) ? spec.stdin.reveal() : spec.stdin, 'utf8').toString('base64');
      stdin = Secret.isSecret(spec.stdin) ? Secret.of(encoded) : encoded;
      if (Secret.isSecret(spec.stdin)) secrets.push(spec.stdin);
    }
    if (Secret.isSecret(stdin)) secrets.push(stdin);
    const options = {
      timeoutMs: spec.timeoutMs ?? this.#commandTimeoutMs,
      // Checked here instead, so the error quotes the decoded CLIXML, not the tail of its markup.
      check: false,
      ...(stdin !== undefined ? { stdin } : {}),
      // The command line is the encoded script, which never holds a secret (they travel on
      // stdin): listing them for it would redact whatever base64 text happens to equal one.
      ...(secrets.length > 0 ? { outputSecrets: secrets } : {}),
      ...(spec.signal ? { signal: spec.signal } : {}),
    };
    const started = Date.now();
    let result: CommandResult;
    try {
      // One line as is: Windows' OpenSSH hands it to cmd.exe, which knows no POSIX quoting, and
      // every word (the prefix, the base64 alphabet) needs none.
      result = await runner.run(raw(argv.join(' ')), options);
    } catch (error) {
      this.#emitCommand(runner, argv.join(' '), null, Date.now() - started, error);
      throw error;
    }
    this.#emitCommand(runner, result.command, result.exitCode, Date.now() - started);
    if ((spec.check ?? true) && result.exitCode !== 0) {
      throw new CommandFailedError({
        command: result.command,
        target: runner.target,
        exitCode: result.exitCode,
        stderrTail: redact(tail(decodeClixml(result.stderr)), secrets),
      });
    }
    return result;
  }

  /** Mirrors a command onto this module's events unless the runner already reports to the same emitter. */
  #emitCommand(runner: CommandRunner, command: string, exitCode: number | null, durationMs: number, error?: unknown): void {
    if (runner.events === this.events) return;
    const event = { target: runner.target, command, exitCode, durationMs };
    this.events.emit('command', error === undefined ? event : { ...event, error: error instanceof Error ? error.name : 'error' });
  }

  /**
   * The machine at the node's address is being replaced (a Sysprepped image makes new host
   * keys): drops its pooled connection and, under accept-new, its recorded host key.
   */
  async forgetNode(options: NodeOperationOptions): Promise<void> {
    await this.#runnerFor.forget?.(this.#input(options));
  }

  override async close(): Promise<void> {
    await this.#onClose?.();
  }

  /**
   * The checks every operation makes first: the options object, the node (name and address),
   * the signal and, for operations that wait, a positive integer `timeoutMs` (a negative or
   * NaN one would otherwise send the shutdown first and fail after).
   */
  #input(options: { node: NodeSpec; timeoutMs?: unknown }, what: { timeout?: boolean } = {}): NodeSpec {
    assertOperationOptions(options);
    const node = assertNode('node', options.node);
    if (what.timeout) assertOptionalTimeoutMs('timeoutMs', options.timeoutMs, { min: 1 });
    return node;
  }

}
