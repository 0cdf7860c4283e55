/**
 * Per-command latency of the pooled runner against OpenSSH's own multiplexing (a ControlMaster
 * connection, `ssh -S` per command) to the same account, for the lab's two unprivileged
 * accounts: one whose login shell is plain `/bin/sh`, one whose bash reads a `.bashrc` that
 * takes ~150 ms. The goal: at most 1.5x ControlMaster, whatever the login shell costs. The
 * runner's exec-per-command mode is shown too: it pays the login shell on every command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLabService, median, printTable, type SshdLabState } from '@provkit/lab';
import { SshPool } from '@provkit/runners';

const COMMANDS = 50;
const lab = await ensureLabService<SshdLabState>('sshd');
const scratch = mkdtempSync(join(tmpdir(), 'provkit-bench-cm-'));

function sshArgs(username: string, control: string): string[] {
  return ['-i', lab.privateKeyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-o', 'BatchMode=yes', '-o', `ControlPath=${control}`, '-p', String(lab.port), `${username}@${lab.host}`];
}

function ssh(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh exited ${code}`))));
  });
}

/** Median per-command milliseconds over `COMMANDS` sequential commands, after one warm-up. */
async function perCommand(run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < COMMANDS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

const rows = [];
try {
  for (const [label, username] of [
    ['plain /bin/sh login shell', lab.plainUsername],
    ['slow login shell (~150 ms .bashrc)', lab.slowLoginUsername],
  ] as const) {
    const control = join(scratch, `cm-${username}`);
    const master = spawnSync('ssh', ['-o', 'ControlMaster=yes', '-o', 'ControlPersist=120', '-f', '-N', ...sshArgs(username, control)], { stdio: 'inherit' });
    if (master.status !== 0) throw new Error(`could not start a ControlMaster for ${username}`);
    const controlMaster = await perCommand(() => ssh([...sshArgs(username, control), 'true']));
    const target = { host: lab.host, port: lab.port, username, privateKeyPath: lab.privateKeyPath, hostKey: { kind: 'known-hosts' as const, path: lab.knownHostsPath } };
    const shellPool = new SshPool();
    const execPool = new SshPool({ remoteCommands: 'exec' });
    const persistent = await perCommand(() => shellPool.runner(target).run(['true']).then(() => undefined));
    const exec = await perCommand(() => execPool.runner(target).run(['true']).then(() => undefined));
    await shellPool.close();
    await execPool.close();
    spawnSync('ssh', ['-O', 'exit', ...sshArgs(username, control)], { stdio: 'ignore' });
    rows.push({ measure: `${label}: persistent shell, ms per command`, provkit: persistent, baseline: controlMaster });
    rows.push({ measure: `${label}: exec per command, ms per command`, provkit: exec, baseline: controlMaster });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
printTable(`Median latency of one command ("true"), ${COMMANDS} sequential, lab sshd on loopback`, rows, 'OpenSSH ControlMaster, same account');
