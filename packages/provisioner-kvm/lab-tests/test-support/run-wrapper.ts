import type { CommandRunner } from '@provkit/runners';

/**
 * `runner` with its `run` replaced (announcing, pausing or faulting commands in lab tests);
 * transfers and events go to `runner` as they are.
 */
export function withRun(runner: CommandRunner, run: CommandRunner['run']): CommandRunner {
  return {
    target: runner.target,
    events: runner.events,
    writeFile: (path, data, options) => runner.writeFile(path, data, options),
    uploadFile: (local, remote, options) => runner.uploadFile(local, remote, options),
    downloadFile: (remote, local, options) => runner.downloadFile(remote, local, options),
    run,
  };
}
