import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@provkit/core';
import { commandFrame, END_OF_STDIN, MAX_STDIN_FRAME, randomToken, shellBootstrap, stdinFrames } from './remote-shell-protocol.ts';

/**
 * The POSIX shells a host's `/bin/sh` is likely to be: dash (Debian, Ubuntu) and busybox `sh`
 * (Alpine, embedded). The lab machine has both; a missing one fails the test rather than skip it.
 */
const SHELLS: { name: string; argv: string[] }[] = [
  { name: 'dash', argv: ['/usr/bin/dash'] },
  { name: 'busybox sh', argv: ['/usr/bin/busybox', 'sh'] },
];

/** Starts the shell program under `shell` (its bootstrap then execs /bin/sh, as sshd's login shell would). */
function spawnProgram(shell: { argv: string[] }, env: Record<string, string> = {}) {
  const [file, ...args] = shell.argv;
  // The bootstrap's `exec /bin/sh` would replace the shell under test: run the program in it directly.
  const bootstrap = shellBootstrap('READY').replace(/^exec \/bin\/sh /, `exec ${shell.argv.join(' ')} `);
  return spawn(file as string, [...args, '-c', bootstrap], { env: { ...process.env, ...env } });
}

/**
 * Runs the shell program under `shell`, feeding `input`, and ends its input (as a closing channel
 * would) once command `last` reported its end on both streams: end of input while commands are
 * still queued would rightly kill the running one.
 */
function runProgram(shell: { argv: string[] }, input: Buffer[], last: string, env: Record<string, string> = {}): Promise<{ stdout: Buffer; stderr: Buffer; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawnProgram(shell, env);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const endWhenDone = (): void => {
      const ended = new RegExp(`\\n${last} E \\d+\\n`).test(Buffer.concat(stdout).toString('latin1'));
      if (ended && Buffer.concat(stderr).includes(`${last} E\n`)) child.stdin.end();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      endWhenDone();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      endWhenDone();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), code }));
    for (const chunk of input) child.stdin.write(chunk);
  });
}

describe.each(SHELLS)('persistent shell program under $name', (shell) => {
  it('frames commands: process group, output, exit status, multi-line text, stdin frames, and an early reader', async () => {
    const payload = Buffer.from(Array.from({ length: MAX_STDIN_FRAME + 1000 }, (_, i) => (i * 7) % 256));
    const { stdout, stderr, code } = await runProgram(shell, [
      commandFrame('A', "printf 'one\\n'\nprintf 'two' >&2\n\nexit 3", false),
      commandFrame('B', 'cat', true),
      ...stdinFrames(payload),
      END_OF_STDIN,
      // Reads 2 bytes and exits: the rest of its frames must still be consumed.
      commandFrame('C', 'head -c 2', true),
      ...stdinFrames(Buffer.from('xyz'.repeat(100_000))),
      END_OF_STDIN,
      // Field 5 of /proc/<pid>/stat is the process group (busybox sh runs its own ps applet, without -p).
      commandFrame('D', 'read -r stat </proc/$$/stat; set -- ${stat##*) }; echo " $3"; echo $$', false),
    ], 'D');
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
      const child = spawnProgram(shell);
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

  it('leaves no FIFO behind and gives a command no way to read the channel: its frames reach the shell', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'provkit-shell-test-'));
    try {
      const { stdout, code } = await runProgram(shell, [commandFrame('X', 'cat; readlink /proc/$$/fd/0; [ -e /proc/$$/fd/3 ] || echo no-fd-3', false), commandFrame('Y', 'echo next', false)], 'Y', { TMPDIR: temp });
      expect(code).toBe(0);
      // `cat` met end of file at once: its stdin is /dev/null, and the loop's FIFO (fd 3) is closed in it.
      expect(stdout.toString()).toMatch(/^READY\nX P \d+\n\/dev\/null\nno-fd-3\nX E 0\nY P \d+\nnext\nY E 0\n$/);
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });

  it('a command that kills the persistent shell ends the shell and closes its output (the runner then replaces it)', async () => {
    const child = spawnProgram(shell);
    child.stdout.resume();
    child.stderr.resume();
    const closed = new Promise<string | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
    child.stdin.write(commandFrame('Z', 'kill -KILL $PPID', false));
    // The channel's input stays open: the shell's own reader must not keep its output open.
    expect(await closed).toBe('SIGKILL');
    child.stdin.end();
  });
});

describe('persistent shell tokens', () => {
  it('makes tokens that are fresh and safe to put on a line', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => randomToken()));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^pk[0-9a-f]{32}$/);
  });
});
