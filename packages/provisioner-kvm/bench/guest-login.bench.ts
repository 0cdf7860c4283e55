/**
 * Where the time from a guest's SSH banner to its first command goes, on the lab guest (TCG):
 * one node is loaded, then fresh logins to it are timed phase by phase from ssh2's protocol
 * debug messages (TCP connect, banner, key exchange with the host key's signature, user
 * authentication, channel open and exec request, first command's exit). `load` does one such login when it
 * sees the banner (then the persistent shell's start and `true`), so these phases are what
 * `machine-booted` waits for after the banner. Baseline: OpenSSH's client running the same
 * `true` on a fresh connection to the same guest.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client, type ConnectConfig } from 'ssh2';
import { median, printTable } from '@provkit/lab';
import { randomToken, shellBootstrap } from '../../runners/src/remote-shell-protocol.ts';
import { startKvmLab } from '../lab-tests/test-support/lab-kvm.ts';

const LOGINS = 7;

/** ssh2 debug lines that end a phase, in protocol order, and the phase each ends. */
const PHASES: Array<[RegExp, string]> = [
  [/^Socket connected/, 'TCP connect'],
  [/^Remote ident/, 'banner'],
  [/^Handshake completed/, 'key exchange + host key'],
  [/USERAUTH_SUCCESS/, 'user auth'],
];

interface Login {
  phases: Map<string, number>;
  total: number;
  algorithms: string[];
}

/** One fresh ssh2 login that runs `true` (as an exec request, or through the persistent shell's program); times from the connect call. */
function login(config: ConnectConfig, mode: 'exec' | 'persistent-shell'): Promise<Login> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const phases = new Map<string, number>();
    const algorithms: string[] = [];
    const client = new Client();
    let last = started;
    const mark = (phase: string): void => {
      const now = performance.now();
      if (!phases.has(phase)) phases.set(phase, now - last);
      last = now;
    };
    client.on('error', reject);
    client.on('ready', () => {
      const finish = (): void => {
        mark(mode === 'exec' ? 'exec true: exit status' : 'shell program ready + first command');
        client.end();
        resolve({ phases, total: performance.now() - started, algorithms });
      };
      if (mode === 'exec') {
        client.exec('true', (error, channel) => {
          if (error) return reject(error);
          mark('channel open + exec accepted');
          channel.on('exit', finish);
          channel.resume();
          channel.stderr.resume();
        });
        return;
      }
      const ready = randomToken();
      client.exec(shellBootstrap(ready), (error, channel) => {
        if (error) return reject(error);
        mark('channel open + exec accepted');
        let out = '';
        let sent = false;
        channel.stderr.resume();
        channel.on('data', (chunk: Buffer) => {
          out += chunk.toString('latin1');
          if (!sent && out.includes(`${ready}\n`)) {
            sent = true;
            channel.write('c n 1\ntrue\n');
          }
          if (/\nc E \d+\n/.test(out)) finish();
        });
      });
    });
    client.connect({
      ...config,
      debug: (message: string) => {
        for (const [pattern, phase] of PHASES) if (pattern.test(message)) mark(phase);
        // What was negotiated (not each side's offer, which ssh2 prints with (local)/(remote)).
        const negotiated = /^Handshake: (KEX algorithm|Host key format|C->S Cipher): (.*)$/.exec(message);
        if (negotiated) algorithms.push(`${negotiated[1]} ${negotiated[2]}`);
      },
    });
  });
}

/** OpenSSH's client: a fresh connection running `true`, in ms. */
function openssh(host: string, port: number, username: string, keyPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('ssh', ['-i', keyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-p', String(port), `${username}@${host}`, 'true'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`ssh exited ${code}`))));
  });
}

const lab = await startKvmLab();
const kvm = lab.provisioner();
const node = await lab.newNode('login');
const byMode = { exec: [] as Login[], 'persistent-shell': [] as Login[] };
const baseline: number[] = [];
try {
  await kvm.load({ node, image: lab.image });
  const config: ConnectConfig = {
    host: node.address!.host,
    port: node.address!.port!,
    username: lab.guest.guestUsername,
    privateKey: readFileSync(lab.guest.privateKeyPath),
    readyTimeout: 30_000,
    // The lab guest's keys are made at its build; this bench measures, it checks nothing.
    hostVerifier: () => true,
  };
  for (let index = 0; index < LOGINS; index++) {
    // Interleaved, so a busy moment of the shared machine hits all three alike.
    baseline.push(await openssh(config.host!, config.port!, config.username!, lab.guest.privateKeyPath));
    byMode.exec.push(await login(config, 'exec'));
    byMode['persistent-shell'].push(await login(config, 'persistent-shell'));
  }
} finally {
  await kvm.unload({ node }).catch(() => undefined);
  await lab.close();
}
console.log(`negotiated: ${[...new Set(byMode.exec.flatMap((run) => run.algorithms))].join('; ')}`);
for (const [mode, runs] of Object.entries(byMode)) {
  const names = [...new Set(runs.flatMap((run) => [...run.phases.keys()]))];
  console.log(`${mode}: ${names.map((name) => `${name} ${median(runs.map((run) => run.phases.get(name) ?? 0)).toFixed(0)} ms`).join(', ')}`);
}
printTable(`A fresh login to the lab guest (TCG) running \`true\`, median of ${LOGINS}, ms`, [
  { measure: 'ssh2 (provkit\'s client), exec request', provkit: median(byMode.exec.map((run) => run.total)), baseline: median(baseline) },
  { measure: 'ssh2, persistent shell started + first command (what load waits for)', provkit: median(byMode['persistent-shell'].map((run) => run.total)), baseline: median(baseline) },
], 'OpenSSH client, fresh connection');
