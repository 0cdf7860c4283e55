import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@provkit/core';
import { commandFrame, END_OF_COMMAND, END_OF_STDIN, MAX_STDIN_FRAME, randomToken, shellBootstrap, stdinFrames } from './remote-shell-protocol.ts';

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
      END_OF_COMMAND,
      commandFrame('B', 'cat', true),
      ...stdinFrames(payload),
      END_OF_STDIN,
      END_OF_COMMAND,
      // Reads 2 bytes and exits: the rest of its frames must still be consumed.
      commandFrame('C', 'head -c 2', true),
      ...stdinFrames(Buffer.from('xyz'.repeat(100_000))),
      END_OF_STDIN,
      END_OF_COMMAND,
      commandFrame('D', 'ps -o pgid= -p $$; echo $$', false),
      END_OF_COMMAND,
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

  it('kills the running command and its whole process group when the channel reaches end of file (the connection died)', async () => {
    for (const withStdin of [false, true]) {
      const child = spawn('/bin/sh', ['-c', shellBootstrap('READY')]);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
      child.stderr.resume();
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      // The command and a child of it in the background, as a capture's qemu-img would be.
      child.stdin.write(commandFrame('K', 'sleep 300 & echo "pids $$ $!"; wait', withStdin));
      // An `i` command whose input already ended is watched the same way.
      if (withStdin) child.stdin.write(END_OF_STDIN);
      const pids = await waitFor({
        what: 'the command to report its PIDs',
        timeoutMs: 10_000,
        poll: async () => {
          const match = /pids (\d+) (\d+)\n/.exec(out);
          return match ? { done: true, value: [Number(match[1]), Number(match[2])] } : { done: false, state: JSON.stringify(out) };
        },
      });
      child.stdin.end();
      await exited;
      await waitFor({
        what: `processes ${pids.join(', ')} to be gone`,
        timeoutMs: 10_000,
        poll: async () => {
          // A killed process stays a zombie until its new parent reaps it: that counts as gone.
          const alive = pids.filter((pid) => {
            try {
              return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
            } catch {
              return false;
            }
          });
          return alive.length === 0 ? { done: true, value: undefined } : { done: false, state: `still running: ${alive.join(', ')}` };
        },
      });
    }
  });

  it('makes tokens that are fresh and safe to put on a line', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^pk[0-9a-f]{32}$/);
  });
});
