import { readFileSync } from 'node:fs';
import { CommandFailedError, createEmitter, InvalidStateError, OperationFailedError, ProgressReporter, TimeoutError, type ProgressEvent } from '@provkit/core';
import { commandText, type Command, type CommandResult, type CommandRunner, type RunOptions } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { DiskDetacher } from './disk-detacher.ts';
import { KvmHost } from './kvm-host.ts';

// The decisions DiskDetacher takes on what the host says, against a scripted host whose
// answers are the lab host's real output (recorded in translation/fixtures, see
// independent-disk.test.ts). The commands themselves run for real in lab-tests/independent-node.test.ts.
const fixture = (name: string): string => readFileSync(new URL(`./translation/fixtures/${name}`, import.meta.url), 'utf8');

const NODE = 'web-1';
const DISK = '/nodes/web-1.qcow2';
/** A domain provkit defined (its marker), as virsh dumpxml printed it on the lab host. */
const MANAGED = fixture('dumpxml-lab.xml');
const BLOCKLIST = ` file   disk     vda      ${DISK}\n`;
const LINKED = fixture('qemu-img-info-overlay.json');

/** Answers each command by the first rule whose pattern its text matches; records every command. */
function scriptedHost(rules: Array<[RegExp, (text: string) => Partial<CommandResult>]>): { runner: CommandRunner; commands: string[] } {
  const commands: string[] = [];
  const run = async (command: Command, options: RunOptions = {}): Promise<CommandResult> => {
    const text = commandText(command);
    commands.push(text);
    const rule = rules.find(([pattern]) => pattern.test(text));
    if (!rule) throw new Error(`unscripted command: ${text}`);
    const answer = { command: text, exitCode: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0), durationMs: 1, ...rule[1](text) };
    if (answer.exitCode !== 0 && options.check !== false) throw new CommandFailedError({ command: text, target: 'root@kvm:22', exitCode: answer.exitCode, stderrTail: answer.stderr });
    return answer;
  };
  const never = async (): Promise<never> => {
    throw new Error('no transfer');
  };
  return { runner: { target: 'root@kvm:22', events: createEmitter(), run, writeFile: never, uploadFile: never, downloadFile: never }, commands };
}

function detacherOn(runner: CommandRunner): { detacher: DiskDetacher; progress: ProgressReporter; events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  const detacher = new DiskDetacher({ host: new KvmHost(runner, 'qemu:///system'), uri: 'qemu:///system', commandTimeoutMs: 10_000, warn: () => undefined });
  return { detacher, progress: new ProgressReporter(createEmitter(), { operation: 'makeIndependent', node: NODE }, (event) => events.push(event)), events };
}

const common = (state: string): Array<[RegExp, (text: string) => Partial<CommandResult>]> => [
  [/domstate/, () => ({ stdout: `${state}\n` })],
  [/dumpxml/, () => ({ stdout: MANAGED })],
  [/domblklist/, () => ({ stdout: BLOCKLIST })],
  [/^test -f/, () => ({})],
  [/^find /, () => ({})],
];

describe('DiskDetacher decisions', () => {
  it('refuses a node suspended to memory before any copy', async () => {
    const { runner, commands } = scriptedHost([...common('pmsuspended'), [/qemu-img info/, () => ({ stdout: LINKED })]]);
    const { detacher, progress } = detacherOn(runner);
    await expect(detacher.run(NODE, { timeoutMs: 60_000 }, progress, undefined)).rejects.toSatisfy((error: unknown) => error instanceof InvalidStateError && /pmsuspended/.test(error.message));
    expect(commands.filter((command) => /blockpull|rebase|^cp |^mv /.test(command))).toEqual([]);
  });

  it('leaves a disk busy in another block job alone', async () => {
    const copy = fixture('blockjob-info-raw-pull.txt').replace('Block Pull', 'Block Copy');
    const { runner, commands } = scriptedHost([...common('running'), [/qemu-img info/, () => ({ stdout: LINKED })], [/blockjob .*--info/, () => ({ stdout: copy })]]);
    const { detacher, progress } = detacherOn(runner);
    const error = await detacher.run(NODE, { timeoutMs: 60_000 }, progress, undefined).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ operation: 'makeIndependent', step: 'block-pull' });
    expect((error as OperationFailedError).cause).toBeInstanceOf(InvalidStateError);
    expect(commands.filter((command) => /blockpull|--abort/.test(command))).toEqual([]);
  });

  it('a failed cancel after a timeout is the error\'s cleanupError', async () => {
    const { runner } = scriptedHost([
      ...common('running'),
      [/qemu-img info/, () => ({ stdout: LINKED })],
      [/blockjob .*--info/, () => ({ stdout: fixture('blockjob-info-raw-pull.txt') })],
      [/blockpull/, () => ({})],
      [/--abort/, () => ({ exitCode: 1, stderr: 'error: internal error: unable to execute QEMU command' })],
    ]);
    const { detacher, progress, events } = detacherOn(runner);
    // The scripted job never ends, so the bound passes and the pull is cancelled.
    const error = (await detacher.run(NODE, { timeoutMs: 300 }, progress, undefined).catch((caught: unknown) => caught)) as OperationFailedError;
    expect(error).toMatchObject({ operation: 'makeIndependent', step: 'block-pull' });
    expect(error.cause).toBeInstanceOf(TimeoutError);
    expect(error.cleanupError).toBeInstanceOf(CommandFailedError);
    expect(events.map((event) => event.step)).not.toContain('block-pull-cancelled');
    expect(events.at(-1)?.detail).toContain('cancelling the block job failed');
  });

  it('never renames the rebased copy over the disk of a node started meanwhile, and removes the copy', async () => {
    let states = 0;
    const { runner, commands } = scriptedHost([
      // Shut off when the call starts, running when the copy is ready (started with virsh by someone else).
      [/domstate/, () => ({ stdout: states++ === 0 ? 'shut off\n' : 'running\n' })],
      ...common('unused').slice(1),
      [/qemu-img info/, () => ({ stdout: LINKED })],
      [/^cp /, () => ({})],
      [/qemu-img rebase/, () => ({})],
      [/^rm -f/, () => ({})],
    ]);
    const { detacher, progress } = detacherOn(runner);
    const error = (await detacher.run(NODE, { timeoutMs: 60_000 }, progress, undefined).catch((caught: unknown) => caught)) as OperationFailedError;
    expect(error).toMatchObject({ operation: 'makeIndependent', step: 'rebase' });
    expect(error.cause).toBeInstanceOf(InvalidStateError);
    expect(commands.filter((command) => command.startsWith('mv '))).toEqual([]);
    const temp = commands.find((command) => command.startsWith('cp '))!.split(' ').at(-1)!;
    expect(temp).toMatch(/^\/nodes\/\.web-1\.qcow2\.part-[0-9a-f]+$/);
    expect(commands).toContain(`rm -f -- ${temp}`);
  });
});
