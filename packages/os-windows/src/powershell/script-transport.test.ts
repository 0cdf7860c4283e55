import { CommandFailedError, createEmitter, Secret, type ShellFragment } from '@provkit/core';
import type { CommandResult, CommandRunner, RunOptions } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { decodeCommand } from './encode-command.ts';
import { ps } from './quote.ts';
import { runScript } from './script-transport.ts';

/** A runner that answers every command with `answer` and keeps what it was given. */
function runnerAnswering(answer: { exitCode: number; stdout?: string; stderr?: string }) {
  const calls: Array<{ command: string; options: RunOptions }> = [];
  const runner = {
    target: 'Administrator@win-1:22',
    events: createEmitter(),
    async run(command: ShellFragment, options: RunOptions = {}): Promise<CommandResult> {
      calls.push({ command: command.text, options });
      const stdout = answer.stdout ?? '';
      return { command: command.text, exitCode: answer.exitCode, stdout, stderr: answer.stderr ?? '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
    },
  } as unknown as CommandRunner;
  return { runner, calls };
}

describe('runScript (the PowerShell script transport)', () => {
  it('sends the script as -EncodedCommand and stdin base64-encoded, a secret staying a Secret and redacted from output', async () => {
    const { runner, calls } = runnerAnswering({ exitCode: 0, stdout: 'ok' });
    const password = Secret.of('Pass-Word-1');
    const result = await runScript({ runner, commandTimeoutMs: 5000 }, ps`Write-Output 'ok'`, { stdin: password });
    expect(result.stdout).toBe('ok');
    const [call] = calls;
    expect(decodeCommand(call!.command)).toBe("Write-Output 'ok'");
    expect(Secret.isSecret(call!.options.stdin)).toBe(true);
    expect(Buffer.from((call!.options.stdin as Secret).reveal(), 'base64').toString('utf8')).toBe('Pass-Word-1');
    expect(call!.options.outputSecrets).toContain(password);
    expect(call!.options).toMatchObject({ timeoutMs: 5000, check: false });
  });

  it('fails on a non-zero exit quoting the decoded CLIXML error, without the secret', async () => {
    const stderr = '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">New-LocalUser : bad password Pass-Word-1_x000D__x000A_</S></Objs>';
    const { runner } = runnerAnswering({ exitCode: 1, stderr });
    const failure = await runScript({ runner, commandTimeoutMs: 5000 }, ps`New-LocalUser`, { stdin: Secret.of('Pass-Word-1') }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommandFailedError);
    expect((failure as CommandFailedError).stderrTail).toContain('New-LocalUser : bad password');
    expect((failure as CommandFailedError).stderrTail).not.toContain('Pass-Word-1');
    expect((failure as CommandFailedError).stderrTail).not.toContain('CLIXML');
  });

  it('returns a non-zero exit as a result when told not to check, with the call\'s own bound', async () => {
    const { runner, calls } = runnerAnswering({ exitCode: 3 });
    const result = await runScript({ runner, commandTimeoutMs: 5000 }, ps`exit 3`, { check: false, timeoutMs: 700 });
    expect(result.exitCode).toBe(3);
    expect(calls[0]!.options.timeoutMs).toBe(700);
  });
});
