/**
 * An orchestrator process of its own for the fault tests (`node --conditions=provkit-source
 * pool-child.ts <json>`): it opens an SshPool to the target and, by `mode`:
 *
 * - `hold`: starts a long command (`sleep 300` in the background of a shell) that writes both
 *   PIDs to `pidFile` and prints `running` once the command was sent; the test then SIGKILLs
 *   this process.
 * - `close`: prints one JSON line (`{ "chain": [...] }`: the PIDs from its command's shell up to
 *   the sshd process serving the connection), then waits; on SIGUSR2 it closes the pool, prints
 *   `closed` and has nothing left to wait for, so it exits, unless the pool still holds it.
 *
 * Each message is one line on stdout.
 */
import { SshPool, type SshTarget } from '@provkit/runners';
import { sh } from '@provkit/core';

interface ChildOrders {
  target: SshTarget;
  remoteCommands: 'persistent-shell' | 'exec';
  mode: 'hold' | 'close';
  /** `hold`: where the command writes its PIDs. */
  pidFile?: string;
  /** `close`: the PID of the lab sshd's listener (the chain stops below it). */
  listenerPid?: number;
}

const orders = JSON.parse(process.argv[2] ?? '{}') as ChildOrders;
const pool = new SshPool({ remoteCommands: orders.remoteCommands });
const runner = pool.runner(orders.target);

if (orders.mode === 'hold') {
  // The command's outcome is not awaited: this process is killed while it runs.
  runner.run(sh`sleep 300 & echo "$$ $!" >${orders.pidFile ?? '/dev/null'}; wait`).catch(() => {});
  process.stdout.write('running\n');
} else {
  const chain = await runner.run(sh`pid=$$; while [ "$pid" -gt 1 ]; do echo "$pid"; parent=$(ps -o ppid= -p "$pid" | tr -d ' '); [ "$parent" = ${String(orders.listenerPid)} ] && exit 0; pid=$parent; done; exit 1`);
  process.once('SIGUSR2', () => {
    void pool.close().then(() => process.stdout.write('closed\n'));
  });
  process.stdout.write(`${JSON.stringify({ chain: chain.stdout.trim().split('\n').map(Number) })}\n`);
}
