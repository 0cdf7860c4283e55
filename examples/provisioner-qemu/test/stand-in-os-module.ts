import { BaseOsModule, ProvkitError, waitFor, type CurrentImageInfo, type NodeOperationOptions, type PostLoadOptions, type PreCaptureOptions, type PreCaptureResult, type WaitOptions, type WriteCurrentImageOptions } from '@provkit/core';
import type { RunnerFactory } from '@provkit/runners';

/**
 * A STAND-IN OS module, not a real one: just enough of `OsModuleV1` (SSH answers,
 * `currentimage.txt`, power-off) for the conformance kit's lifecycle on the lab's busybox
 * guest. The kit's load creates a user with a password, which `@provkit/os-linux` cannot do
 * there (Debian's busybox has no adduser/chpasswd); this module says so with a `warning`
 * event and records post-load. The other lab tests use the real LinuxOsModule.
 */
export class StandInOsModule extends BaseOsModule {
  readonly os = 'stand-in-busybox';
  readonly #runnerFor: RunnerFactory;

  constructor(runnerFor: RunnerFactory) {
    super({ firewall: false, generalize: false, users: false });
    this.#runnerFor = runnerFor;
  }

  async waitForResponse(options: WaitOptions): Promise<void> {
    const runner = this.#runnerFor(options.node);
    await waitFor({
      what: `SSH on node ${options.node.name}`,
      timeoutMs: options.timeoutMs ?? 120_000,
      initialDelayMs: 500,
      signal: options.signal,
      // A guest that is still booting refuses or resets connections: every failure means "not yet".
      isTransient: (error) => ProvkitError.isInstance(error) && error.code !== 'ABORTED',
      poll: async ({ signal }) => {
        await runner.run(['true'], { signal, timeoutMs: 10_000 });
        return { done: true, value: undefined };
      },
    });
  }

  async postLoad(options: PostLoadOptions): Promise<void> {
    if (options.customization !== undefined) {
      this.events.emit('warning', { message: 'the stand-in OS module applies no customization', operation: 'postLoad', node: options.node.name });
    }
    const properties = { vcld_post_load: `success (${Math.floor(Date.now() / 1000)})` };
    await this.writeCurrentImage({ node: options.node, signal: options.signal, info: { image: options.image, properties, postLoadDone: true } });
  }

  async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    const result = await this.#runnerFor(options.node).run(['cat', '/root/currentimage.txt'], { check: false, signal: options.signal });
    if (result.exitCode !== 0) return undefined;
    const [image = '', ...lines] = result.stdout.split('\n');
    const properties = Object.fromEntries(lines.filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    return { image: image.trim(), properties, postLoadDone: properties.vcld_post_load?.startsWith('success') ?? false };
  }

  async writeCurrentImage(options: WriteCurrentImageOptions): Promise<void> {
    const { image, properties } = options.info;
    const text = [image, ...Object.entries(properties).map(([key, value]) => `${key}=${value}`)].join('\n');
    await this.#runnerFor(options.node).run(['sh', '-c', 'cat >/root/currentimage.txt'], { stdin: `${text}\n`, signal: options.signal });
  }

  /** No generalization: only the power-off that capture needs. */
  override async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    await this.shutdown(options);
    return { operations: [], endState: 'off' };
  }

  async shutdown(options: WaitOptions): Promise<void> {
    const runner = this.#runnerFor(options.node);
    // A guest that does not answer cannot be shut down (or generalized): that fails, as in a real module.
    await runner.run(['true'], { timeoutMs: 10_000, signal: options.signal });
    // The connection drops as the guest goes down; the provisioner then waits for QEMU to exit.
    await runner.run(['sh', '-c', 'sync; poweroff'], { check: false, timeoutMs: 10_000, signal: options.signal }).catch(() => undefined);
  }

  async reboot(options: WaitOptions): Promise<void> {
    await this.#runnerFor(options.node).run(['sh', '-c', 'reboot'], { check: false, timeoutMs: 10_000, signal: options.signal }).catch(() => undefined);
    await this.waitForResponse(options);
  }
}
