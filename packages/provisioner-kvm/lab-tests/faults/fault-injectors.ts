/**
 * The real faults the matrix injects on the lab: the per-connection sshd process serving one
 * orchestrator killed or stopped, the guest's sshd killed from inside, a guest frozen by
 * libvirt or by SIGSTOP of its QEMU, a full library filesystem, and (in `@provkit/lab`)
 * libvirtd restarted. Each that stops something has its restore, which the matrix always runs.
 */
import { local } from './fault-host.ts';

/**
 * The sshd processes serving `clientPid`'s connections to the sshd on `sshdPort` (found by
 * matching the client's source port to the server side's peer port in `ss`).
 */
export async function sshdServing(clientPid: number, sshdPort: number): Promise<number[]> {
  const { stdout } = await local('ss', ['-tnpH']);
  const sockets = stdout.split('\n').map((line) => {
    const fields = line.trim().split(/\s+/);
    const port = (address: string | undefined): number => Number(address?.slice(address.lastIndexOf(':') + 1));
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
    return { localPort: port(fields[3]), peerPort: port(fields[4]), pids };
  });
  const clientPorts = new Set(sockets.filter((socket) => socket.peerPort === sshdPort && socket.pids.includes(clientPid)).map((socket) => socket.localPort));
  return [...new Set(sockets.filter((socket) => socket.localPort === sshdPort && clientPorts.has(socket.peerPort)).flatMap((socket) => socket.pids))];
}

/** Sends `signal` to each pid (those already gone are skipped). */
export async function signalAll(pids: readonly number[], signal: 'KILL' | 'STOP' | 'CONT'): Promise<void> {
  for (const pid of pids) await local('kill', [`-${signal}`, String(pid)]);
}

/** Kills every sshd of the guest at `port` from inside it (the command's own session dies too). */
export async function killGuestSshd(port: number, privateKeyPath: string): Promise<void> {
  await local(
    'ssh',
    ['-p', String(port), '-i', privateKeyPath, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', 'root@127.0.0.1', 'for p in $(pidof sshd); do kill -9 $p; done'],
    30_000,
  );
}

/** Writes `megabytes` of random data into the guest at `port` (so a capture copies for a while, or overflows a small library). */
export async function fillGuestDisk(port: number, privateKeyPath: string, megabytes: number): Promise<void> {
  const result = await local(
    'ssh',
    ['-p', String(port), '-i', privateKeyPath, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', 'root@127.0.0.1', `dd if=/dev/urandom of=/root/fill bs=1M count=${megabytes} 2>/dev/null && sync`],
    300_000,
  );
  if (result.code !== 0) throw new Error(`filling the guest disk failed: ${result.stderr.trim()}`);
}

/** The QEMU process of domain `name`. */
export async function qemuPidOf(name: string): Promise<number | undefined> {
  const { stdout } = await local('pgrep', ['-f', `guest=${name},`]);
  const pid = Number(stdout.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pids of `qemu-img convert` processes writing into `dir`. */
export async function convertsInto(dir: string): Promise<number[]> {
  const { stdout } = await local('pgrep', ['-af', 'qemu-img convert']);
  return stdout
    .split('\n')
    .filter((line) => line.includes(`${dir}/`))
    .map((line) => Number(line.split(' ')[0]))
    .filter((pid) => pid > 0);
}

/** Mounts a tmpfs of `megabytes` at `dir` (a small library filesystem to fill). */
export async function mountSmallFs(dir: string, megabytes: number): Promise<void> {
  const result = await local('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'provkit-faults', dir]);
  if (result.code !== 0) throw new Error(`mounting a ${megabytes} MiB tmpfs at ${dir} failed: ${result.stderr.trim()}`);
}

/** Gives the tmpfs at `dir` more room, as an administrator clearing a full filesystem would. */
export async function growSmallFs(dir: string, megabytes: number): Promise<void> {
  const result = await local('mount', ['-o', `remount,size=${megabytes}m`, dir]);
  if (result.code !== 0) throw new Error(`growing the tmpfs at ${dir} to ${megabytes} MiB failed: ${result.stderr.trim()}`);
}

/** Unmounts what {@link mountSmallFs} mounted (lazily, should something still hold it). */
export async function unmountSmallFs(dir: string): Promise<void> {
  await local('umount', ['-l', dir]);
}
