/**
 * The translation layer: pure functions that turn a node or an image into file paths and
 * argv arrays for `qemu-system-x86_64`, `qemu-img` and `socat`, and parse what they print.
 * Nothing here runs a command, so all of it is unit-tested without a host.
 */
import { InvalidInputError, sh, shellJoin, type ShellFragment } from '@provkit/core';

/**
 * Directories are pasted into QEMU's own option syntax (`file=<path>,if=virtio`) and socat's
 * address syntax (`UNIX-CONNECT:<path>`), where `,` and `:` are separators: allow only
 * characters that mean nothing to either.
 */
const SAFE_PATH = /^\/[A-Za-z0-9_./-]*$/;

/** Validates a directory or file path that will appear inside QEMU or socat options. */
export function checkSafePath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SAFE_PATH.test(value) || value.split('/').includes('..')) {
    throw new InvalidInputError(field, `${JSON.stringify(value)} is not an absolute path of letters, digits, "_", ".", "-" and "/"`);
  }
  return value;
}

/** Where a library image lives: `<libraryDir>/<name>-v<rev>.qcow2`. */
export function imagePath(libraryDir: string, image: string): string {
  return `${libraryDir}/${image}.qcow2`;
}

/** The temporary name a capture writes before the atomic rename; hidden, so never listed. */
export function partialImagePath(libraryDir: string, image: string): string {
  return `${libraryDir}/.${image}.qcow2.partial`;
}

/** The image name a library file holds, or `undefined` for files that are not images. */
export function imageNameOfFile(file: string): string | undefined {
  return /^([A-Za-z0-9_][A-Za-z0-9_.-]*-v[0-9]+)\.qcow2$/.exec(file)?.[1];
}

/** The files of one node, all in its own directory so that `unload` is one `rm -rf`. */
export interface NodeFiles {
  dir: string;
  /** The qcow2 overlay on the library image. */
  disk: string;
  /** The QEMU command line, written at define time and run by `powerOn`. */
  startScript: string;
  pidfile: string;
  qmpSocket: string;
  /** The serial console, kept for debugging a guest that does not boot. */
  consoleLog: string;
  /** The name of the image the node was loaded with (the host's record). */
  imageRecord: string;
  /** provkit's marker, written first at load: a node directory without it is not provkit's to replace or remove. */
  marker: string;
}

/** The files of node `name` under `nodesDir`. */
export function nodeFiles(nodesDir: string, name: string): NodeFiles {
  const dir = `${nodesDir}/${name}`;
  return {
    dir,
    disk: `${dir}/disk.qcow2`,
    startScript: `${dir}/start.sh`,
    pidfile: `${dir}/qemu.pid`,
    qmpSocket: `${dir}/qmp.sock`,
    consoleLog: `${dir}/console.log`,
    imageRecord: `${dir}/image`,
    marker: `${dir}/provkit-node`,
  };
}

/** Everything that decides a node's QEMU command line. */
export interface MachineSpec {
  name: string;
  files: NodeFiles;
  cpus: number;
  memoryBytes: number;
  kernelPath: string;
  initrdPath: string;
  kernelCmdline: string;
  /** Host address and port forwarded to the guest's port 22 (QEMU user networking). */
  sshForward: { address: string; port: number };
  qemuBinary: string;
}

/**
 * The argv of one node: a daemonized TCG machine with a pidfile and a QMP socket, direct
 * kernel boot, the overlay as a virtio disk and user networking forwarding SSH.
 */
export function qemuArgv(machine: MachineSpec): string[] {
  const { files, sshForward } = machine;
  return [
    machine.qemuBinary,
    '-name', machine.name,
    '-daemonize',
    '-pidfile', files.pidfile,
    '-qmp', `unix:${files.qmpSocket},server,nowait`,
    '-display', 'none',
    '-serial', `file:${files.consoleLog}`,
    // /dev/kvm may exist and still not work (nested hosts): TCG is slower but always works.
    '-accel', 'tcg',
    '-m', `${Math.ceil(machine.memoryBytes / 2 ** 20)}M`,
    '-smp', String(machine.cpus),
    '-kernel', machine.kernelPath,
    '-initrd', machine.initrdPath,
    '-append', machine.kernelCmdline,
    '-drive', `file=${files.disk},if=virtio,format=qcow2`,
    '-netdev', `user,id=net0,hostfwd=tcp:${sshForward.address}:${sshForward.port}-:22`,
    '-device', 'virtio-net-pci,netdev=net0',
  ];
}

/** The script `powerOn` runs: the node's argv, quoted by core. */
export function startScript(machine: MachineSpec): string {
  return `#!/bin/sh\n# Written by provkit-example-provisioner-qemu; run to power the node on.\nexec ${shellJoin(qemuArgv(machine))}\n`;
}

/** A thin overlay on a library image (the node's disk), optionally grown to `sizeBytes`. */
export function createOverlayArgv(backing: string, overlay: string, sizeBytes?: number): string[] {
  const argv = ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', backing, overlay];
  return sizeBytes === undefined ? argv : [...argv, String(sizeBytes)];
}

/** Flattens a node's overlay (and its backing chain) into a standalone qcow2 image. */
export function convertArgv(source: string, target: string): string[] {
  return ['qemu-img', 'convert', '-q', '-O', 'qcow2', source, target];
}

/** `qemu-img info` as JSON; `-U` because a library image is open read-only by running nodes. */
export function imageInfoArgv(path: string): string[] {
  return ['qemu-img', 'info', '-U', '--output=json', path];
}

/** What provkit needs from `qemu-img info --output=json`. */
export interface QemuImageInfo {
  virtualBytes: number;
  allocatedBytes: number;
  format: string;
  backingFile?: string;
}

/** Parses `qemu-img info --output=json`. */
export function parseImageInfo(json: string): QemuImageInfo {
  const info = JSON.parse(json) as { 'virtual-size'?: number; 'actual-size'?: number; format?: string; 'backing-filename'?: string };
  if (typeof info['virtual-size'] !== 'number' || typeof info.format !== 'string') throw new Error(`qemu-img info printed no virtual-size/format: ${json.slice(0, 200)}`);
  const parsed: QemuImageInfo = { virtualBytes: info['virtual-size'], allocatedBytes: info['actual-size'] ?? 0, format: info.format };
  if (info['backing-filename'] !== undefined) parsed.backingFile = info['backing-filename'];
  return parsed;
}

/**
 * Succeeds when the pidfile names a live process whose command line mentions that pidfile,
 * so a stale pidfile whose pid was reused by another process does not count as "on".
 */
export function isRunningCommand(pidfile: string): ShellFragment {
  return sh`pid=$(cat ${pidfile} 2>/dev/null) && grep -qaF -- ${pidfile} "/proc/$pid/cmdline"`;
}

/** Exit code of {@link powerProbeCommand} for a node that does not exist (no node directory). */
export const NOT_DEFINED_EXIT_CODE = 3;

/** One round trip for both questions: does the node exist (its directory), and is its QEMU alive (exit 0)? */
export function powerProbeCommand(files: NodeFiles): ShellFragment {
  return sh`test -d ${files.dir} || exit ${NOT_DEFINED_EXIT_CODE}; ${isRunningCommand(files.pidfile)}`;
}

/** Exit codes of {@link presenceCommand}: 0 a node provkit made, these otherwise. */
export const PRESENCE_EXIT_CODES = { absent: 3, foreign: 4 } as const;

/** Is there a node directory, and does it carry provkit's marker? */
export function presenceCommand(files: NodeFiles): ShellFragment {
  return sh`test -e ${files.dir} || exit ${PRESENCE_EXIT_CODES.absent}; test -f ${files.marker} || exit ${PRESENCE_EXIT_CODES.foreign}`;
}

/** Pulls the plug: SIGKILL to the node's QEMU process, if it is still the one in the pidfile. */
export function killCommand(pidfile: string): ShellFragment {
  return sh`pid=$(cat ${pidfile} 2>/dev/null) && grep -qaF -- ${pidfile} "/proc/$pid/cmdline" && kill -KILL "$pid"`;
}

/** Talks to a QMP socket: the JSON lines go to stdin (see {@link QMP_POWERDOWN}). */
export function qmpArgv(socket: string): string[] {
  return ['socat', '-t', '5', '-', `UNIX-CONNECT:${socket}`];
}

/** QMP input that presses the ACPI power button: capability negotiation, then the request. */
export const QMP_POWERDOWN = '{"execute":"qmp_capabilities"}\n{"execute":"system_powerdown"}\n';

/**
 * True when QEMU answered every command of {@link QMP_POWERDOWN} with `return` (the greeting
 * and asynchronous events such as `POWERDOWN` are interleaved and ignored); false on an
 * `error` answer or a cut-off conversation.
 */
export function qmpSucceeded(output: string, commands = 2): boolean {
  const answers = output
    .split('\n')
    .map((line): Record<string, unknown> => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {}; // a line cut off when the connection closed
      }
    })
    .filter((message) => message !== null && typeof message === 'object' && ('return' in message || 'error' in message));
  return answers.length === commands && answers.every((answer) => 'return' in answer);
}
