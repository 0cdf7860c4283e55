import { redact, type Secret, shellJoin, ShellFragment } from '@provkit/core';
import type { Command } from './command-runner.ts';

/** The shell text of a command. */
export function commandText(command: Command): string {
  return command instanceof ShellFragment ? command.text : shellJoin(command);
}

/** The command as shown in events and errors: secrets replaced by `[redacted]`. */
export function displayCommand(text: string, secrets: readonly Secret[] | undefined): string {
  return secrets && secrets.length > 0 ? redact(text, secrets) : text;
}

/** The last `lines` lines of `text` (for error messages), trimmed. */
export function tail(text: string, lines = 10, maxChars = 2000): string {
  const out = text.trimEnd().split('\n').slice(-lines).join('\n');
  return out.length > maxChars ? out.slice(-maxChars) : out;
}
