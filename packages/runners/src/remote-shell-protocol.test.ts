import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandFrame, END_OF_STDIN, MAX_STDIN_FRAME, randomToken, shellBootstrap, stdinFrames } from './remote-shell-protocol.ts';

/** Runs the shell program under this machine's /bin/sh (a POSIX sh, as on a host), feeding `input`. */
function runProgram(input: Buffer[]): Promise<{ stdout: Buffer; stderr: Buffer; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', shellBootstrap('READY')]);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), code }));
    for (const chunk of input) child.stdin.write(chunk);
    child.stdin.end();
  });
}

describe('persistent shell program', () => {
  it('frames commands: process group, output, exit status, multi-line text, stdin frames, and an early reader', async () => {
    const payload = Buffer.from(Array.from({ length: MAX_STDIN_FRAME + 1000 }, (_, i) => (i * 7) % 256));
    const { stdout, stderr, code } = await runProgram([
      commandFrame('A', "printf 'one\\n'\nprintf 'two' >&2\n\nexit 3", false),
      commandFrame('B', 'cat', true),
      ...stdinFrames(payload),
      END_OF_STDIN,
      // Reads 2 bytes and exits: the rest of its frames must still be consumed.
      commandFrame('C', 'head -c 2', true),
      ...stdinFrames(Buffer.from('xyz'.repeat(100_000))),
      END_OF_STDIN,
      commandFrame('D', 'ps -o pgid= -p $$; echo $$', false),
    ]);
    expect(code).toBe(0);
    const out = stdout.toString('latin1');
    expect(out.startsWith('READY\n')).toBe(true);
    expect(out).toMatch(/^READY\nA P \d+\none\nA E 3\nB P \d+\n/);
    expect(stdout.subarray(stdout.indexOf('B P '), stdout.indexOf('B E 0')).subarray(-payload.length).equals(payload)).toBe(true);
    expect(out).toMatch(/C P \d+\nxyC E 0\n/);
    // Each command leads its own process group.
    const group = /D P (\d+)\n\s*(\d+)\n(\d+)\nD E 0\n$/.exec(out);
    expect(group?.[1]).toBe(group?.[2]);
    expect(group?.[1]).toBe(group?.[3]);
    expect(stderr.toString()).toBe('READY\ntwoA E\nB E\nC E\nD E\n');
  });

  it('makes tokens that are fresh and safe to put on a line', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^pk[0-9a-f]{32}$/);
  });
});
