import {
  checkAccess,
  checkImageName,
  checkNodeSpec,
  checkUsername,
  BaseOsModule,
  ConnectionError,
  formatCurrentImageText,
  InvalidInputError,
  NotFoundError,
  parseCurrentImageText,
  randomPassword,
  Secret,
  throwIfAborted,
  waitFor,
  type AccessOptions,
  type CreateUserOptions,
  type CurrentImageInfo,
  type DeleteUserOptions,
  type NodeOperationOptions,
  type NodeSpec,
  type PostLoadOptions,
  type PreCaptureOptions,
  type PreCaptureResult,
  type RandomizedPasswords,
  type SetPasswordOptions,
  type WaitOptions,
  type WriteCurrentImageOptions,
} from '@provkit/core';
import { runCommand } from './command-log.ts';
import type { MemoryDisk, MemoryHost } from './memory-host.ts';
import { checkChoice, checkTimeout, signalOf } from './reference-input.ts';


/** Configuration of a {@link MemoryOsModule}. */
export interface MemoryOsModuleOptions {
  host: MemoryHost;
}

function checkUser(options: { username: unknown; password?: unknown; sshPublicKeys?: unknown; admin?: unknown }): string {
  const username = checkUsername('username', options.username);
  if (options.password !== undefined && !Secret.isSecret(options.password)) throw new InvalidInputError('password', 'must be a Secret, so it never prints');
  if (options.sshPublicKeys !== undefined && !Array.isArray(options.sshPublicKeys)) throw new InvalidInputError('sshPublicKeys', 'expected a list of public keys');
  if (options.admin !== undefined && typeof options.admin !== 'boolean') throw new InvalidInputError('admin', 'expected true or false');
  return username;
}

/**
 * The reference OS module: every semantic of `OsModuleV1` on the guests of a
 * {@link MemoryHost}, reached through the node's address while the node is on (as SSH
 * would). Input is checked before anything else, then the signal; passwords never leave
 * their `Secret`.
 */
export class MemoryOsModule extends BaseOsModule {
  readonly os = 'memory';
  readonly #host: MemoryHost;

  constructor(options: MemoryOsModuleOptions) {
    super({ users: true, firewall: true, generalize: true });
    this.#host = options.host;
  }

  /** Runs a "command" on the guest at the node's address; a node that is off or absent does not answer. */
  #run<T>(node: NodeSpec, command: string, signal: AbortSignal | undefined, effect: (disk: MemoryDisk) => T): Promise<T> {
    const target = `guest of ${node.name}`;
    return runCommand(this.events, target, command, signal, () => {
      const running = this.#host.nodeAt(node.address);
      const disk = running && this.#host.disks.get(running.name);
      if (!disk) throw new ConnectionError(target, 'nothing answers at this address');
      return effect(disk);
    });
  }

  async waitForResponse(options: WaitOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs, 300_000);
    await waitFor({
      what: `SSH on node ${node.name}`,
      timeoutMs,
      initialDelayMs: 10,
      ...signalOf(options),
      poll: async ({ signal }) => {
        await this.#run(node, 'true', signal, () => undefined);
        return { done: true, value: undefined };
      },
    });
  }

  async postLoad(options: PostLoadOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const image = checkImageName('image', options.image);
    throwIfAborted(options.signal, `post-load of ${node.name}`);
    const progress = this.progress('postLoad', node.name, options.onProgress);
    for (const user of options.customization?.users ?? []) await this.createUser({ node, ...user, ...signalOf(options) });
    progress.step('customized');
    await this.writeCurrentImage({ node, info: { image, properties: {}, postLoadDone: true } });
    progress.step('current-image-written');
  }

  override async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    const node = checkNodeSpec(options.node);
    const endState = checkChoice('endState', options.endState, ['off', 'on', 'reboot'], 'off');
    const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs, 300_000);
    throwIfAborted(options.signal, `pre-capture of ${node.name}`);
    const progress = this.progress('preCapture', node.name, options.onProgress);
    await this.#run(node, 'generalize', options.signal, (disk) => {
      disk.users.clear();
      disk.grants.clear();
    });
    progress.step('generalized');
    const wait = { node, timeoutMs, ...signalOf(options) };
    if (endState === 'off') await this.shutdown(wait);
    if (endState === 'reboot') await this.reboot(wait);
    progress.step(`end-state-${endState}`);
    return { operations: [{ name: 'generalize', changed: true, detail: 'users removed, firewall grants cleared' }], endState };
  }

  override async createUser(options: CreateUserOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const username = checkUser(options);
    await this.#run(node, `useradd ${username}`, options.signal, (disk) => disk.users.set(username, { admin: options.admin ?? false, hasPassword: options.password !== undefined }));
  }

  override async deleteUser(options: DeleteUserOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const username = checkUsername('username', options.username);
    await this.#run(node, `userdel ${username}`, options.signal, (disk) => void disk.users.delete(username));
  }

  override async setPassword(options: SetPasswordOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const username = checkUser({ username: options.username, password: options.password });
    await this.#run(node, `chpasswd ${username}`, options.signal, (disk) => {
      const user = disk.users.get(username);
      if (!user) throw new NotFoundError('user', username);
      user.hasPassword = true;
    });
  }

  override async randomizeAdminPasswords(options: NodeOperationOptions): Promise<RandomizedPasswords> {
    const node = checkNodeSpec(options.node);
    const admins = await this.#run(node, 'list administrators', options.signal, (disk) => [...disk.users].filter(([, user]) => user.admin).map(([name]) => name));
    const passwords: Record<string, Secret> = {};
    for (const username of admins) {
      passwords[username] = randomPassword();
      await this.setPassword({ node, username, password: passwords[username], ...signalOf(options) });
    }
    return { passwords };
  }

  override async grantAccess(options: AccessOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const { remoteIp, ports } = checkAccess(options);
    await this.#run(node, `allow ${remoteIp} ${String(ports)}`, options.signal, (disk) => ports.forEach((port) => disk.grants.add(`${remoteIp}:${port}`)));
  }

  override async revokeAccess(options: AccessOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const { remoteIp, ports } = checkAccess(options);
    await this.#run(node, `deny ${remoteIp} ${String(ports)}`, options.signal, (disk) => ports.forEach((port) => disk.grants.delete(`${remoteIp}:${port}`)));
  }

  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    const node = checkNodeSpec(options.node);
    return this.#run(node, 'cat /root/currentimage.txt', options.signal, (disk) => parseCurrentImageText(disk.files.get('/root/currentimage.txt') ?? ''));
  }

  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    let text: string;
    try {
      text = formatCurrentImageText(options.info);
    } catch (error) {
      throw new InvalidInputError('info', error instanceof Error ? error.message : String(error));
    }
    await this.#run(node, 'write /root/currentimage.txt', options.signal, (disk) => disk.files.set('/root/currentimage.txt', text));
  }

  async shutdown(options: WaitOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    checkTimeout('timeoutMs', options.timeoutMs, 300_000);
    // The in-memory guest is off the moment it is told: the host's record is the machine.
    await this.#run(node, 'poweroff', options.signal, () => void (this.#host.nodeAt(node.address)!.power = 'off'));
  }

  async reboot(options: WaitOptions): Promise<void> {
    const node = checkNodeSpec(options.node);
    const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs, 300_000);
    await this.#run(node, 'reboot', options.signal, () => void this.#host.nodeAt(node.address)!.boots++);
    await this.waitForResponse({ node, timeoutMs, ...signalOf(options) });
  }
}
