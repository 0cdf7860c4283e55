import { CommandFailedError, raw, redact, Secret } from '@provkit/core';
import { tail, type CommandResult, type CommandRunner } from '@provkit/runners';
import { decodeClixml } from './clixml.ts';
import { encodeCommand } from './encode-command.ts';
import type { PsFragment } from './quote.ts';

/** How one script runs: stdin (plain; sent base64-encoded), extra secrets to redact from its output, bounds. */
export interface RunSpec {
  stdin?: string | Secret;
  secrets?: readonly Secret[];
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  check?: boolean;
}

/** What {@link runScript} needs besides the script: the node's runner and the module's default bound. */
export interface ScriptTransport {
  runner: CommandRunner;
  /** Bound of a script whose {@link RunSpec} names none. */
  commandTimeoutMs: number;
}

/**
 * Runs one PowerShell script as `powershell -EncodedCommand` (refusing an oversized one before
 * anything runs), feeding stdin base64-encoded, and fails on a non-zero exit with the decoded
 * CLIXML error text. The runner emits the command event.
 */
export async function runScript(transport: ScriptTransport, script: PsFragment, spec: RunSpec = {}): Promise<CommandResult> {
  const argv = encodeCommand(script);
  const { runner } = transport;
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
    timeoutMs: spec.timeoutMs ?? transport.commandTimeoutMs,
    // Checked here instead, so the error quotes the decoded CLIXML, not the tail of its markup.
    check: false,
    ...(stdin !== undefined ? { stdin } : {}),
    // The command line is the encoded script, which never holds a secret (they travel on
    // stdin): listing them for it would redact whatever base64 text happens to equal one.
    ...(secrets.length > 0 ? { outputSecrets: secrets } : {}),
    signal: spec.signal,
  };
  // One line as is: Windows' OpenSSH hands it to cmd.exe, which knows no POSIX quoting, and
  // every word (the prefix, the base64 alphabet) needs none.
  const result = await runner.run(raw(argv.join(' ')), options);
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
