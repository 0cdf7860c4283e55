/**
 * A test-only OS module for the lab guest (busybox + OpenSSH), written because the Linux OS
 * module (`@provkit/os-linux`) was not available when these tests were written. It does the
 * minimum the provisioner's lab tests need, over real SSH to the real guest.
 */
import { BaseOsModule, ConnectionError, UnsupportedFunctionalityError, waitFor, sh, type CommandRunner, type CurrentImageInfo, type NodeOperationOptions, type NodeSpec, type PostLoadOptions, type PreCaptureOptions, type PreCaptureResult, type WaitOptions, type WriteCurrentImageOptions } from '@provkit/core';

const CURRENT_IMAGE = '/root/currentimage.txt';

/** VCL's currentimage.txt: image name, then key=value lines. */
export function parseCurrentImage(text: string): CurrentImageInfo | undefined {
  const [first, ...rest] = text.split('\n').map((line) => line.trim());
  if (!first) return undefined;
  const properties: Record<string, string> = {};
  for (const line of rest) {
    const at = line.indexOf('=');
    if (at > 0) properties[line.slice(0, at)] = line.slice(at + 1);
  }
  return { image: first, properties, postLoadDone: /^success\b/.test(properties.vcld_post_load ?? '') };
}

function formatCurrentImage(info: CurrentImageInfo): string {
  return `${[info.image, ...Object.entries(info.properties).map(([key, value]) => `${key}=${value}`)].join('\n')}\n`;
}

export class LabGuestOsModule extends BaseOsModule {
  readonly os = 'linux';
  readonly #runnerFor: (node: NodeSpec) => CommandRunner;

  constructor(options: { runnerFor: (node: NodeSpec) => CommandRunner }) {
    super({ generalize: true });
    this.#runnerFor = options.runnerFor;
  }

  async waitForResponse(options: WaitOptions): Promise<void> {
    const runner = this.#runnerFor(options.node);
    await waitFor({
      what: `SSH on ${options.node.name}`,
      timeoutMs: options.timeoutMs ?? 60_000,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      ...(options.signal ? { signal: options.signal } : {}),
      poll: async ({ signal }) => {
        await runner.run(['true'], { signal, timeoutMs: 10_000 });
        return { done: true, value: undefined };
      },
    });
  }

  async postLoad(options: PostLoadOptions): Promise<void> {
    if (options.customization?.users?.length) throw new UnsupportedFunctionalityError('customization.users', 'the lab guest test OS module');
    const runner = this.#runnerFor(options.node);
    if (options.customization?.hostname) await runner.run(sh`echo ${options.customization.hostname} >/etc/hostname && hostname ${options.customization.hostname}`, options);
    const previous = await this.readCurrentImage(options);
    const properties = { ...(previous?.image === options.image ? previous.properties : {}), vcld_post_load: `success (${Math.floor(Date.now() / 1000)})` };
    await this.writeCurrentImage({ node: options.node, info: { image: options.image, properties, postLoadDone: true }, ...(options.signal ? { signal: options.signal } : {}) });
  }

  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    const result = await this.#runnerFor(options.node).run(sh`cat ${CURRENT_IMAGE}`, { check: false, ...(options.signal ? { signal: options.signal } : {}) });
    return result.exitCode === 0 ? parseCurrentImage(result.stdout) : undefined;
  }

  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    await this.#runnerFor(options.node).run(sh`cat >${CURRENT_IMAGE}.new && mv ${CURRENT_IMAGE}.new ${CURRENT_IMAGE} && sync`, { stdin: formatCurrentImage(options.info), ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** Generalizes (host keys and machine id go; the next boot makes new ones) and powers off. */
  override async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    const runner = this.#runnerFor(options.node);
    const call = options.signal ? { signal: options.signal } : {};
    await runner.run(sh`rm -f /etc/ssh/ssh_host_* && : >/etc/machine-id && sed -i '/^vcld_post_load=/d' ${CURRENT_IMAGE} && sync`, call);
    await this.#powerCommand(runner, 'poweroff', call);
    return {
      endState: 'off',
      operations: [
        { name: 'remove-ssh-host-keys', changed: true, detail: 'removed /etc/ssh/ssh_host_*' },
        { name: 'clear-machine-id', changed: true, detail: 'emptied /etc/machine-id' },
      ],
    };
  }

  async shutdown(options: WaitOptions): Promise<void> {
    await this.#powerCommand(this.#runnerFor(options.node), 'poweroff', options.signal ? { signal: options.signal } : {});
  }

  async reboot(options: WaitOptions): Promise<void> {
    await this.#powerCommand(this.#runnerFor(options.node), 'reboot', options.signal ? { signal: options.signal } : {});
    await this.waitForResponse(options);
  }

  /** busybox's poweroff/reboot signal init and return; the connection may drop first. */
  async #powerCommand(runner: CommandRunner, command: 'poweroff' | 'reboot', call: { signal?: AbortSignal }): Promise<void> {
    try {
      await runner.run([command], { ...call, timeoutMs: 10_000 });
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
    }
  }
}
