import {
  AbortedError,
  assertAbsolutePath,
  assertHost,
  assertImageName,
  assertIpAddress,
  assertName,
  assertPort,
  assertUsername,
  BaseOsModule,
  CommandFailedError,
  ConnectionError,
  HostKeyMismatchError,
  InvalidInputError,
  KeyedMutex,
  ProvkitError,
  randomPassword,
  Secret,
  sh,
  shellJoin,
  TimeoutError,
  UnsupportedFunctionalityError,
  waitFor,
  type AccessOptions,
  type CommandEvent,
  type CommandRunner,
  type CreateUserOptions,
  type Customization,
  type CurrentImageInfo,
  type DeleteUserOptions,
  type EndState,
  type NodeOperationOptions,
  type NodeSpec,
  type OperationReport,
  type OsModuleCapabilitiesV1,
  type PostLoadOptions,
  type PreCaptureOptions,
  type PreCaptureResult,
  type ProvkitEmitter,
  type RandomizedPasswords,
  type SetPasswordOptions,
  type UserSpec,
  type WaitOptions,
  type WriteCurrentImageOptions,
} from '@provkit/core';
import { CURRENT_IMAGE_PATH, formatCurrentImage, parseCurrentImage, postLoadValue } from './current-image/current-image-text.ts';
import { addGrants, removeGrants } from './firewall/access-grants.ts';
import { chosenFirewall, refuseUnaddressableNft } from './firewall/firewall-choice.ts';
import { applyFirewallScript, grantsInForce, inspectFirewallScript, parseFirewallInspection } from './firewall/firewall-script.ts';
import type { LinuxOsModuleOptions } from './linux-os-module-options.ts';
import type { GeneralizationOperation, OperationContext, OperationScript } from './operations/generalization-operation.ts';
import { selectOperations } from './operations/operation-catalog.ts';
import { assertChpasswdPassword } from './operations/vcl-operations.ts';
import { PreCaptureFailedError } from './pre-capture-failed-error.ts';
import { changedAnything, summarizeActions, type GuestAction } from './script/actions.ts';
import { guestScript } from './script/guest-script.ts';
import { runGuestScript } from './script/run-guest-script.ts';
import { addRootAuthorizedKeysScript, bootIdScript, ensureHostKeysScript, powerScript, readHostnameFileScript, setHostnameScript } from './system/system-scripts.ts';
import { assertSshPublicKey } from './users/ssh-public-key.ts';
import { RESERVATION_USERS_FILE } from './users/user-functions.ts';
import { accountIdsScript, createUserScript, deleteUserScript, listAdministratorsScript, parseAdministrators, refuseSystemAccounts, setPasswordsScript } from './users/user-scripts.ts';

/** What one generalization operation did, with the individual changes. */
export interface LinuxOperationReport extends OperationReport {
  actions: GuestAction[];
}

/** Result of {@link LinuxOsModule.preCapture}. */
export interface LinuxPreCaptureResult extends PreCaptureResult {
  operations: LinuxOperationReport[];
}

/** A user spec after validation. */
interface ValidUser {
  /** The option it came from, for errors (`user`, `customization.users[0]`). */
  field: string;
  username: string;
  sshPublicKeys: string[];
  admin: boolean;
  password?: Secret;
}

const END_STATES: readonly EndState[] = ['on', 'off', 'reboot'];

function validNode(node: NodeSpec): NodeSpec {
  if (!node || typeof node !== 'object') throw new InvalidInputError('node', 'expected a node');
  assertName('node.name', node.name);
  if (node.address) {
    assertHost('node.address.host', node.address.host);
    if (node.address.port !== undefined) assertPort('node.address.port', node.address.port);
  }
  return node;
}

function validPorts(ports: readonly number[]): number[] {
  if (!Array.isArray(ports) || ports.length === 0) throw new InvalidInputError('ports', 'expected at least one port');
  return ports.map((port, index) => assertPort(`ports[${index}]`, port));
}

function validHostname(field: string, hostname: unknown): string {
  const name = assertHost(field, hostname);
  if (/^[0-9.]+$/.test(name) || name.includes(':')) throw new InvalidInputError(field, 'an IP address is not a hostname');
  return name;
}

/** The node name as a hostname, or the reason it cannot be one. */
function nodeNameAsHostname(name: string): string | InvalidInputError {
  try {
    return validHostname('node.name', name);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
}

/**
 * The Linux OS module: drives a guest over a command runner (SSH as root). Generalization is
 * a list of named operations covering virt-sysprep's default set and VCL's pre-capture steps;
 * users, passwords (always over chpasswd's standard input), the guest's firewall (nftables,
 * iptables, firewalld or ufw, detected) and VCL's `currentimage.txt`. Every input is validated
 * before the first command; operations on one node are serialized.
 */
export class LinuxOsModule extends BaseOsModule {
  readonly os = 'linux';
  readonly #options: LinuxOsModuleOptions;
  readonly #locks = new KeyedMutex();
  readonly #forwarded = new WeakSet<CommandRunner>();
  readonly #unforward: Array<() => void> = [];

  /** Validates the options (operation names, root password, management addresses) at once. */
  constructor(options: LinuxOsModuleOptions) {
    super({ firewall: true, generalize: true, users: true, ...options.capabilities }, options.events);
    if (typeof options?.runnerFor !== 'function') throw new InvalidInputError('runnerFor', 'expected a function giving the runner of a node');
    if (options.rootPassword !== undefined) assertChpasswdPassword('rootPassword', options.rootPassword);
    if (options.operations !== undefined) selectOperations(options.operations, this.#contextOf(options));
    for (const [index, address] of (options.managementAddresses ?? []).entries()) assertIpAddress(`managementAddresses[${index}]`, address);
    this.#options = options;
  }

  #contextOf(options: LinuxOsModuleOptions): OperationContext {
    const context: OperationContext = { keepRootAuthorizedKeys: options.keepRootAuthorizedKeys ?? true, reservationUsersFile: RESERVATION_USERS_FILE };
    if (options.rootPassword) context.rootPassword = options.rootPassword;
    if (options.firewall) context.firewall = options.firewall;
    if (options.managementAddresses) context.managementAddresses = options.managementAddresses;
    return context;
  }

  #runner(node: NodeSpec): CommandRunner {
    const runner = this.#options.runnerFor(node);
    if (runner.events !== this.events && !this.#forwarded.has(runner)) {
      // A pool's emitter carries every host's commands: forward only this runner's, and stop at close().
      this.#forwarded.add(runner);
      const forward = (event: CommandEvent): void => {
        if (event.target === runner.target) this.events.emit('command', event);
      };
      runner.events.on('command', forward);
      this.#unforward.push(() => runner.events.off('command', forward));
    }
    return runner;
  }

  /**
   * The machine at the node's address is being replaced: drops its pooled connection and,
   * under an accept-new host-key policy, its recorded host key (see core's
   * `sshRunnerFactory`), so a reload at the same address trusts the new keys on first sight.
   */
  async forgetNode(options: NodeOperationOptions): Promise<void> {
    const node = validNode(options.node);
    await this.#options.runnerFor.forget?.(node);
  }

  /** Stops forwarding the runners' command events and calls the `onClose` option. */
  override async close(): Promise<void> {
    for (const stop of this.#unforward.splice(0)) stop();
    await this.#options.onClose?.();
  }

  #commandTimeout(): number {
    return this.#options.timeouts?.commandMs ?? 120_000;
  }

  /** Refuses an operation whose capability the module was told its guests lack. */
  #require(capability: keyof OsModuleCapabilitiesV1, operation: string): void {
    if (!this.capabilities[capability]) throw new UnsupportedFunctionalityError(operation, `this ${this.os} OS module (${capability} capability off)`);
  }

  #serialized<T>(node: NodeSpec, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    return this.#locks.run(node.name, task, signal);
  }

  /** Waits (bounded, with backoff) until the node runs a command over SSH; refused or dropped connections mean "not yet". */
  async waitForResponse(options: WaitOptions): Promise<void> {
    const node = validNode(options.node);
    const runner = this.#runner(node);
    await waitFor({
      what: `SSH on node ${node.name}`,
      timeoutMs: options.timeoutMs ?? this.#options.timeouts?.responseMs ?? 120_000,
      signal: options.signal,
      initialDelayMs: 250,
      poll: async ({ signal }) => {
        await runner.run(['true'], { signal, timeoutMs: 15_000 });
        return { done: true, value: undefined };
      },
      // Before sshd is up a node refuses, resets or drops connections; all mean "not yet".
      isTransient: (error) => ProvkitError.isInstance(error) && !(error instanceof AbortedError) && (error.isRetryable || error instanceof ConnectionError),
    });
  }

  /**
   * Generalizes the guest: runs the selected operations (the call's, else the module's, else
   * the default set) in catalog order, each reporting what it changed, then applies the end
   * state (default `off`). The first failure stops the run with a {@link PreCaptureFailedError}
   * naming the operation and the state left; the guest then stays on.
   */
  override async preCapture(options: PreCaptureOptions): Promise<LinuxPreCaptureResult> {
    const node = validNode(options.node);
    const endState = options.endState ?? 'off';
    if (!END_STATES.includes(endState)) throw new InvalidInputError('endState', `expected one of ${END_STATES.join(', ')}`);
    const context = this.#contextOf(this.#options);
    const selected = selectOperations(options.operations ?? this.#options.operations, context);
    const scripts: [string, OperationScript, GeneralizationOperation][] = selected.map((operation) => [operation.name, operation.build(context), operation]);
    const runner = this.#runner(node);
    const progress = this.progress('preCapture', node.name);
    return this.#serialized(node, options.signal, async () => {
      progress.step('generalizing', scripts.map(([name]) => name).join(', '));
      const reports: LinuxOperationReport[] = [];
      for (const [index, [name, operation, { followUp }]] of scripts.entries()) {
        try {
          const run = async (script: OperationScript) => {
            const runOptions = { signal: options.signal, timeoutMs: this.#commandTimeout(), secrets: script.secrets ?? [] };
            return runGuestScript(runner, script.script, script.stdin ? { ...runOptions, stdin: script.stdin } : runOptions);
          };
          const first = await run(operation);
          const actions = followUp ? [...first.actions, ...(await run(followUp(first.stdout, context))).actions] : first.actions;
          const report: LinuxOperationReport = { name, changed: changedAnything(actions), detail: summarizeActions(actions), actions };
          reports.push(report);
          progress.step(`operation-done`, `${name}: ${report.detail}`);
        } catch (error) {
          if (error instanceof AbortedError) throw error;
          throw new PreCaptureFailedError(name, error, reports, scripts.slice(index + 1).map(([later]) => later), endState);
        }
      }
      progress.step('generalized', `${reports.filter((report) => report.changed).length} of ${reports.length} operations changed the guest`);
      const hostKeysRemoved = reports.some((report) => report.name === 'ssh-hostkeys' && report.changed);
      if (endState === 'off') await this.#shutdown(node, runner, options.timeoutMs ?? this.#options.timeouts?.shutdownMs ?? 180_000, options.signal);
      if (endState === 'reboot') await this.#reboot(node, runner, options.timeoutMs ?? this.#options.timeouts?.rebootMs ?? 300_000, options.signal, hostKeysRemoved);
      progress.step('pre-capture-done', `end state ${endState}`);
      return { operations: reports, endState };
    });
  }

  /**
   * After a load: host keys if missing, hostname, customization users and root keys, the
   * first-boot command, then `vcld_post_load=success (<epoch>)` in `currentimage.txt`.
   * Without `customization.hostname`, a guest whose /etc/hostname is empty (truncated before
   * capture) is named after the node; a node name that is no valid hostname is then refused
   * before any change. Customization users that are system accounts on the guest are refused
   * (`SystemAccountError`) before any change too.
   *
   * Access grants are not re-applied here: a freshly loaded image's grants file, if any, is
   * the capture's, not this reservation's (see {@link LinuxOsModule.grantAccess}).
   */
  async postLoad(options: PostLoadOptions): Promise<void> {
    const node = validNode(options.node);
    const image = assertImageName('image', options.image);
    const { hostname: requested, users, rootKeys, command } = this.#validCustomization(options.customization ?? {});
    const runner = this.#runner(node);
    const progress = this.progress('postLoad', node.name);
    await this.#serialized(node, options.signal, async () => {
      const run = { signal: options.signal, timeoutMs: this.#commandTimeout() };
      // Read-only checks first, so a refusal leaves the guest untouched.
      const hostname = requested ?? (await this.#defaultHostname(runner, node, run));
      await this.#refuseSystemAccounts(runner, users, 'give keys, a password or sudo to', options.signal);
      const keys = await runGuestScript(runner, ensureHostKeysScript(), run);
      progress.step('host-keys', summarizeActions(keys.actions));
      if (hostname !== undefined) {
        await runGuestScript(runner, setHostnameScript(hostname), run);
        progress.step('hostname-set', requested === undefined ? `${hostname} (the node name: the image has none)` : hostname);
      }
      for (const user of users) {
        await this.#createUser(runner, user, options.signal);
        progress.step('user-created', user.username);
      }
      if (rootKeys.length > 0) {
        await runGuestScript(runner, addRootAuthorizedKeysScript(rootKeys), run);
        progress.step('root-keys-added', `${rootKeys.length} key(s)`);
      }
      if (command !== undefined) {
        await runner.run(command, run);
        progress.step('first-boot-command-done', shellJoin(command));
      }
      const current = await this.#readCurrentImage(runner, options.signal);
      const properties = current?.image === image ? { ...current.properties } : {};
      properties.vcld_post_load = postLoadValue(new Date());
      await this.#writeCurrentImage(runner, { image, properties, postLoadDone: true }, options.signal);
      progress.step('post-load-done', image);
    });
  }

  /** The node name when the guest's /etc/hostname is empty, else `undefined` (keep the guest's). */
  async #defaultHostname(runner: CommandRunner, node: NodeSpec, run: { signal: AbortSignal | undefined; timeoutMs: number }): Promise<string | undefined> {
    const current = (await runner.run(readHostnameFileScript(), run)).stdout.trim();
    if (current !== '') return undefined;
    const name = nodeNameAsHostname(node.name);
    if (name instanceof InvalidInputError) {
      throw new InvalidInputError('node.name', `the guest has no hostname and ${JSON.stringify(node.name)} cannot be one: give customization.hostname (${name.message})`);
    }
    return name;
  }

  /** Throws `SystemAccountError` when one of `users` is a system account on the guest. */
  async #refuseSystemAccounts(runner: CommandRunner, users: readonly ValidUser[], action: string, signal: AbortSignal | undefined): Promise<void> {
    if (users.length === 0) return;
    const names = users.map((user) => user.username);
    const { stdout } = await runner.run(accountIdsScript(names), { signal, timeoutMs: this.#commandTimeout() });
    refuseSystemAccounts(stdout, names, users.map((user) => `${user.field}.username`), action);
  }

  /**
   * Refuses, naming the field, any customization {@link postLoad} would refuse (host name,
   * user names and keys, passwords `chpasswd` cannot take, an empty first-boot command, users
   * when the module declares no user management), without touching a guest.
   */
  override checkCustomization(customization: Customization): void {
    this.#validCustomization(customization);
  }

  #validCustomization(customization: Customization): { hostname: string | undefined; users: ValidUser[]; rootKeys: string[]; command: readonly string[] | undefined } {
    super.checkCustomization(customization);
    if ((customization.users?.length ?? 0) > 0 && !this.capabilities.users) throw new UnsupportedFunctionalityError('customization.users', `this ${this.os} OS module (users capability off)`);
    const hostname = customization.hostname === undefined ? undefined : validHostname('customization.hostname', customization.hostname);
    const users = (customization.users ?? []).map((user, index) => this.#validUser(user, `customization.users[${index}]`));
    const rootKeys = (customization.sshAuthorizedKeys ?? []).map((key, index) => assertSshPublicKey(`customization.sshAuthorizedKeys[${index}]`, key));
    return { hostname, users, rootKeys, command: customization.firstBootCommand };
  }

  #validUser(user: UserSpec, field: string): ValidUser {
    if (!user || typeof user !== 'object') throw new InvalidInputError(field, 'expected a user');
    const username = assertUsername(`${field}.username`, user.username);
    if (username === 'root') throw new InvalidInputError(`${field}.username`, 'root is not a user provkit creates');
    const sshPublicKeys = (user.sshPublicKeys ?? []).map((key, index) => assertSshPublicKey(`${field}.sshPublicKeys[${index}]`, key));
    if (user.password !== undefined) {
      if (!Secret.isSecret(user.password)) throw new InvalidInputError(`${field}.password`, 'expected a Secret');
      assertChpasswdPassword(`${field}.password`, user.password);
    }
    const valid: ValidUser = { field, username, sshPublicKeys, admin: user.admin === true };
    if (user.password !== undefined) valid.password = user.password;
    return valid;
  }

  async #createUser(runner: CommandRunner, user: ValidUser, signal: AbortSignal | undefined): Promise<void> {
    const script = createUserScript({ username: user.username, sshPublicKeys: user.sshPublicKeys, admin: user.admin, withPassword: user.password !== undefined });
    const run = { signal, timeoutMs: this.#commandTimeout() };
    await runGuestScript(
      runner,
      script,
      user.password ? { ...run, stdin: Secret.of(`${user.username}:${user.password.reveal()}\n`), secrets: [user.password] } : run,
    );
  }

  /**
   * Creates (or brings to this spec) an account; created accounts are deleted by `user-account`
   * before capture. An existing system account (uid below the guest's `UID_MIN`, default 1000)
   * is refused with `SystemAccountError` before any change.
   */
  override async createUser(options: CreateUserOptions): Promise<void> {
    const node = validNode(options.node);
    const user = this.#validUser(options, 'user');
    this.#require('users', 'createUser');
    const runner = this.#runner(node);
    await this.#serialized(node, options.signal, async () => {
      await this.#refuseSystemAccounts(runner, [user], 'give keys, a password or sudo to', options.signal);
      await this.#createUser(runner, user, options.signal);
    });
    this.progress('createUser', node.name).step('user-created', `${user.username}${user.admin ? ' (administrator)' : ''}`);
  }

  /**
   * Deletes an account with (by default) its home and mail; absent is fine. Refuses root, and
   * system accounts the image has (uid below `UID_MIN`) with `SystemAccountError`; an
   * account provkit created for a reservation is deleted whatever its uid.
   */
  override async deleteUser(options: DeleteUserOptions): Promise<void> {
    const node = validNode(options.node);
    const username = assertUsername('username', options.username);
    this.#require('users', 'deleteUser');
    if (username === 'root') throw new InvalidInputError('username', 'root cannot be deleted');
    const runner = this.#runner(node);
    await this.#serialized(node, options.signal, async () => {
      const run = { signal: options.signal, timeoutMs: this.#commandTimeout() };
      refuseSystemAccounts((await runner.run(accountIdsScript([username]), run)).stdout, [username], ['username'], 'delete');
      await runGuestScript(runner, deleteUserScript(username, options.removeHome ?? true), run);
    });
    this.progress('deleteUser', node.name).step('user-deleted', username);
  }

  /** Sets a password through chpasswd's standard input. */
  override async setPassword(options: SetPasswordOptions): Promise<void> {
    const node = validNode(options.node);
    const username = assertUsername('username', options.username);
    this.#require('users', 'setPassword');
    if (!Secret.isSecret(options.password)) throw new InvalidInputError('password', 'expected a Secret');
    assertChpasswdPassword('password', options.password);
    const runner = this.#runner(node);
    const stdin = Secret.of(`${username}:${options.password.reveal()}\n`);
    await this.#serialized(node, options.signal, () =>
      runGuestScript(runner, setPasswordsScript([username]), { signal: options.signal, timeoutMs: this.#commandTimeout(), stdin, secrets: [options.password] }),
    );
    this.progress('setPassword', node.name).step('password-set', username);
  }

  /**
   * New random passwords for root and the image's administrators (sudo, wheel and admin
   * members, provkit sudoers drop-ins), not for reservation accounts.
   */
  override async randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords> {
    const node = validNode(options.node);
    this.#require('users', 'randomizeAdminPasswords');
    const runner = this.#runner(node);
    return this.#serialized(node, options.signal, async () => {
      const run = { signal: options.signal, timeoutMs: this.#commandTimeout() };
      const admins = parseAdministrators((await runner.run(listAdministratorsScript(), run)).stdout);
      const passwords: Record<string, Secret> = {};
      for (const name of admins) passwords[name] = randomPassword(24);
      const secrets = Object.values(passwords);
      const stdin = Secret.of(admins.map((name) => `${name}:${passwords[name]!.reveal()}\n`).join(''));
      await runGuestScript(runner, setPasswordsScript(admins), { ...run, stdin, secrets });
      this.progress('randomizeAdminPasswords', node.name).step('passwords-randomized', admins.join(', '));
      return { passwords };
    });
  }

  /**
   * Opens `ports` to `remoteIp` only (and keeps them open to the management addresses), on the
   * guest's firewall. With nftables the grant also goes into the guest's own filter chains on
   * the input hook (a rule tagged `provkit grant` at the top of each), since an accept in
   * provkit's table alone does not get past a guest chain that drops.
   *
   * What survives a reboot: firewalld and ufw grants are permanent. nftables and iptables
   * grants live in the running kernel only (provkit does not write the guest's
   * /etc/nftables.conf or saved iptables rules), so a reboot, or the guest reloading its own
   * firewall, drops them, and on a port whose only restriction was provkit's, opens it to
   * everyone again. The grants file (`/var/lib/provkit/access-grants`) records the boot they
   * were applied in: grants from an earlier boot count as gone, so the next grant or revoke
   * does not bring back a stale grantee; grant again after a reboot. A reload within one boot
   * is repaired by the next grant or revoke, which rebuilds everything the file lists.
   * Before capture the `access-grants` operation revokes every grant and removes the file.
   */
  override async grantAccess(options: AccessOptions): Promise<void> {
    const node = validNode(options.node);
    const remoteIp = assertIpAddress('remoteIp', options.remoteIp);
    this.#require('firewall', 'grantAccess');
    const ports = validPorts(options.ports);
    await this.#changeAccess(node, options.signal, (grants) => addGrants(grants, remoteIp, ports), 'access-granted', `${remoteIp} ${ports.join(',')}`);
  }

  /**
   * Withdraws what `grantAccess` opened for `remoteIp` on `ports`; revoking nothing succeeds.
   * With nftables the tagged rules are deleted from the guest's chains by handle, so revoking
   * the last grant leaves the guest's own ruleset exactly as it was.
   */
  override async revokeAccess(options: AccessOptions): Promise<void> {
    const node = validNode(options.node);
    const remoteIp = assertIpAddress('remoteIp', options.remoteIp);
    this.#require('firewall', 'revokeAccess');
    const ports = validPorts(options.ports);
    await this.#changeAccess(node, options.signal, (grants) => removeGrants(grants, remoteIp, ports), 'access-revoked', `${remoteIp} ${ports.join(',')}`);
  }

  async #changeAccess(
    node: NodeSpec,
    signal: AbortSignal | undefined,
    change: (grants: ReturnType<typeof addGrants>) => ReturnType<typeof addGrants>,
    step: string,
    detail: string,
  ): Promise<void> {
    const runner = this.#runner(node);
    await this.#serialized(node, signal, async () => {
      const run = { signal, timeoutMs: this.#commandTimeout() };
      const inspection = parseFirewallInspection((await runner.run(inspectFirewallScript(), run)).stdout);
      const kind = chosenFirewall(inspection, this.#options.firewall);
      if (kind === 'none') throw new UnsupportedFunctionalityError('grantAccess and revokeAccess', `node ${node.name}, which has no working nftables, iptables, firewalld or ufw`);
      refuseUnaddressableNft(inspection, kind, 'grantAccess and revokeAccess', `node ${node.name}`);
      const management = [...(this.#options.managementAddresses ?? []), ...(inspection.managementAddress ? [inspection.managementAddress] : [])];
      const before = grantsInForce(inspection, kind);
      const after = change(before);
      await runGuestScript(runner, applyFirewallScript({ kind, before, after, management, nft: inspection.nft }), run);
      this.progress(step === 'access-granted' ? 'grantAccess' : 'revokeAccess', node.name).step(step, `${detail} (${kind})`);
    });
  }

  /** Reads `/root/currentimage.txt`; `undefined` when the guest has none. */
  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    const node = validNode(options.node);
    return this.#readCurrentImage(this.#runner(node), options.signal);
  }

  async #readCurrentImage(runner: CommandRunner, signal: AbortSignal | undefined): Promise<CurrentImageInfo | undefined> {
    const result = await runner.run(sh`if [ -f ${CURRENT_IMAGE_PATH} ]; then cat ${CURRENT_IMAGE_PATH}; fi`, { signal, timeoutMs: this.#commandTimeout() });
    return parseCurrentImage(result.stdout);
  }

  /** Replaces `/root/currentimage.txt` atomically after validating the image name and properties. */
  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    const node = validNode(options.node);
    const text = formatCurrentImage(options.info);
    const runner = this.#runner(node);
    await this.#serialized(node, options.signal, () => this.#writeText(runner, CURRENT_IMAGE_PATH, text, options.signal));
  }

  async #writeCurrentImage(runner: CommandRunner, info: CurrentImageInfo, signal: AbortSignal | undefined): Promise<void> {
    await this.#writeText(runner, CURRENT_IMAGE_PATH, formatCurrentImage(info), signal);
  }

  /** Replaces a file atomically (temporary file, then rename), so a reader never sees half of it. */
  async #writeText(runner: CommandRunner, path: string, text: string, signal: AbortSignal | undefined): Promise<void> {
    assertAbsolutePath('path', path);
    const temporary = `${path}.provkit-tmp`;
    await runner.run(guestScript(sh`printf '%s' ${text} >${temporary} && mv -f ${temporary} ${path} || pk_fail ${`cannot write ${path}`}\n`), {
      signal,
      timeoutMs: this.#commandTimeout(),
    });
  }

  /** Powers the guest off and waits until its SSH stops answering. */
  async shutdown(options: WaitOptions): Promise<void> {
    const node = validNode(options.node);
    const runner = this.#runner(node);
    await this.#serialized(node, options.signal, () =>
      this.#shutdown(node, runner, options.timeoutMs ?? this.#options.timeouts?.shutdownMs ?? 180_000, options.signal),
    );
  }

  /** Reboots the guest and waits until SSH answers from a new boot (the kernel's boot id changed). */
  async reboot(options: WaitOptions): Promise<void> {
    const node = validNode(options.node);
    const runner = this.#runner(node);
    await this.#serialized(node, options.signal, () =>
      this.#reboot(node, runner, options.timeoutMs ?? this.#options.timeouts?.rebootMs ?? 300_000, options.signal, false),
    );
  }

  async #shutdown(node: NodeSpec, runner: CommandRunner, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const progress = this.progress('shutdown', node.name);
    await runner.run(powerScript('poweroff'), { signal, timeoutMs: this.#commandTimeout() });
    progress.step('shutdown-requested');
    await waitFor({
      what: `node ${node.name} to stop answering SSH after poweroff`,
      timeoutMs,
      signal,
      initialDelayMs: 500,
      poll: async ({ signal: pollSignal }) => {
        try {
          await runner.run(['true'], { signal: pollSignal, timeoutMs: 10_000 });
          return { done: false, state: 'SSH still answers' };
        } catch (error) {
          if (signal?.aborted) throw error;
          // Refused, reset or silent: SSH no longer answers. Any other error (a changed host
          // key, refused credentials) means something still answers, so it is not swallowed.
          if (pollSignal.aborted) return { done: false, state: 'SSH still answered at the deadline' };
          if (error instanceof ConnectionError || error instanceof TimeoutError) return { done: true, value: undefined };
          if (error instanceof CommandFailedError && error.exitCode === null) return { done: true, value: undefined };
          throw error;
        }
      },
    });
    progress.step('powered-off');
  }

  async #reboot(node: NodeSpec, runner: CommandRunner, timeoutMs: number, signal: AbortSignal | undefined, hostKeysRegenerated: boolean): Promise<void> {
    const progress = this.progress('reboot', node.name);
    const run = { signal, timeoutMs: this.#commandTimeout() };
    const before = (await runner.run(bootIdScript(), run)).stdout.trim();
    await runner.run(powerScript('reboot'), run);
    progress.step('reboot-requested');
    const how = await waitFor({
      what: `node ${node.name} to answer SSH from a new boot`,
      timeoutMs,
      signal,
      initialDelayMs: 500,
      poll: async ({ signal: pollSignal }) => {
        try {
          const now = (await runner.run(bootIdScript(), { signal: pollSignal, timeoutMs: 10_000 })).stdout.trim();
          return now !== before && now !== '' ? { done: true, value: `boot id ${now}` } : { done: false, state: 'still the boot before the reboot' };
        } catch (error) {
          // After ssh-hostkeys the new boot answers with new host keys: that is sshd up again.
          if (error instanceof HostKeyMismatchError && hostKeysRegenerated) return { done: true, value: `new host key ${error.actual}` };
          if (ProvkitError.isInstance(error) && (error instanceof ConnectionError || error instanceof TimeoutError || error.isRetryable) && !signal?.aborted) {
            return { done: false, state: error.message };
          }
          throw error;
        }
      },
    });
    progress.step('rebooted', how);
  }
}

