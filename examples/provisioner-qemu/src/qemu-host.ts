import { CommandFailedError, ProvkitError, waitFor } from '@provkit/core';
import { tail, type CommandRunner } from '@provkit/runners';
import { imageInfoArgv, killCommand, NOT_DEFINED_EXIT_CODE, parseImageInfo, powerProbeCommand, presenceCommand, PRESENCE_EXIT_CODES, qmpArgv, qmpSucceeded, QMP_POWERDOWN, type NodeFiles, type QemuImageInfo } from './qemu-commands.ts';

/**
 * The wire layer: the few things the provisioner asks of the host, each one command through
 * core's {@link CommandRunner} (a LocalRunner, or an SshPool runner for a remote host).
 */
export class QemuHost {
  readonly runner: CommandRunner;

  constructor(runner: CommandRunner) {
    this.runner = runner;
  }

  /** True when `path` is a regular file on the host. */
  async fileExists(path: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.runner.run(['test', '-f', path], { check: false, signal })).exitCode === 0;
  }

  /** `on`, `off`, or `undefined` when the node does not exist (no node directory), whoever made it. */
  async power(files: NodeFiles, signal?: AbortSignal): Promise<'on' | 'off' | undefined> {
    const probe = await this.runner.run(powerProbeCommand(files), { check: false, signal });
    if (probe.exitCode === NOT_DEFINED_EXIT_CODE) return undefined;
    return probe.exitCode === 0 ? 'on' : 'off';
  }

  /** `managed`: a node provkit made (its marker); `foreign`: a node directory without it; `absent`: nothing. */
  async presence(files: NodeFiles, signal?: AbortSignal): Promise<'managed' | 'foreign' | 'absent'> {
    const probe = await this.runner.run(presenceCommand(files), { check: false, signal });
    if (probe.exitCode === 0) return 'managed';
    if (probe.exitCode === PRESENCE_EXIT_CODES.absent) return 'absent';
    if (probe.exitCode === PRESENCE_EXIT_CODES.foreign) return 'foreign';
    throw new CommandFailedError({ command: probe.command, target: this.runner.target, exitCode: probe.exitCode, stderrTail: tail(probe.stderr) });
  }

  /** Runs the node's start script; QEMU daemonizes once the machine is set up. */
  async start(files: NodeFiles, signal?: AbortSignal): Promise<void> {
    await this.runner.run(['sh', files.startScript], { signal });
  }

  /** Presses the ACPI power button through QMP; false when QEMU did not take the request. */
  async pressPowerButton(files: NodeFiles, signal?: AbortSignal): Promise<boolean> {
    const result = await this.runner.run(qmpArgv(files.qmpSocket), { stdin: QMP_POWERDOWN, check: false, timeoutMs: 15_000, signal });
    return result.exitCode === 0 && qmpSucceeded(result.stdout);
  }

  /** Waits until the node's QEMU process has exited; `what` names the wait in a timeout. */
  async waitUntilOff(files: NodeFiles, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await waitFor({
      what: `QEMU of ${files.dir} to exit`,
      timeoutMs,
      initialDelayMs: 250,
      signal,
      poll: async ({ signal: pollSignal }) => ((await this.power(files, pollSignal)) === 'on' ? { done: false, state: 'running' } : { done: true, value: undefined }),
    });
  }

  /** SIGKILL to the node's QEMU and a bounded wait for it to be gone. */
  async kill(files: NodeFiles): Promise<void> {
    await this.runner.run(killCommand(files.pidfile), { check: false });
    await this.waitUntilOff(files, 30_000);
    // QEMU removes its pidfile on a clean exit only.
    await this.runner.run(['rm', '-f', '--', files.pidfile, files.qmpSocket]);
  }

  /** Presses the power button, waits up to `timeoutMs`, then pulls the plug; true when it was graceful. */
  async powerOff(files: NodeFiles, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (await this.pressPowerButton(files, signal)) {
      try {
        await this.waitUntilOff(files, timeoutMs, signal);
        return true;
      } catch (error) {
        if (!ProvkitError.hasCode(error, 'TIMEOUT')) throw error;
      }
    }
    await this.kill(files);
    return false;
  }

  /** Sizes and format of a qcow2 file. */
  async imageInfo(path: string, signal?: AbortSignal): Promise<QemuImageInfo> {
    return parseImageInfo((await this.runner.run(imageInfoArgv(path), { signal })).stdout);
  }
}
