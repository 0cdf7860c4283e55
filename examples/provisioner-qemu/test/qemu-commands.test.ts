import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, type OsModuleV1 } from '@provkit/core';
import { LocalRunner } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import {
  QemuProvisioner,
  checkSafePath,
  createOverlayArgv,
  convertArgv,
  imageNameOfFile,
  nodeFiles,
  parseImageInfo,
  partialImagePath,
  qemuArgv,
  qmpArgv,
  qmpSucceeded,
  QMP_POWERDOWN,
  startScript,
  type MachineSpec,
} from 'provkit-example-provisioner-qemu';

const machine: MachineSpec = {
  name: 'web-1',
  files: nodeFiles('/var/lib/provkit-qemu/nodes', 'web-1'),
  cpus: 2,
  memoryBytes: 256 * 2 ** 20,
  kernelPath: '/boot/vmlinuz',
  initrdPath: '/boot/initrd.img',
  kernelCmdline: `console=ttyS0 root=/dev/vda quiet it's "$HOME" $(reboot) \`id\``,
  sshForward: { address: '127.0.0.1', port: 2222 },
  qemuBinary: 'qemu-system-x86_64',
};

function option(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index < 0 ? undefined : argv[index + 1];
}

describe('qemu command construction', () => {
  it('keeps every file of a node in its own directory', () => {
    expect(nodeFiles('/n', 'web-1')).toEqual({
      dir: '/n/web-1',
      disk: '/n/web-1/disk.qcow2',
      startScript: '/n/web-1/start.sh',
      pidfile: '/n/web-1/qemu.pid',
      qmpSocket: '/n/web-1/qmp.sock',
      consoleLog: '/n/web-1/console.log',
      imageRecord: '/n/web-1/image',
      marker: '/n/web-1/provkit-node',
    });
  });

  it('builds a daemonized TCG machine with pidfile, QMP socket, direct kernel boot and an SSH forward', () => {
    const argv = qemuArgv(machine);
    expect(argv[0]).toBe('qemu-system-x86_64');
    expect(argv).toContain('-daemonize');
    expect(option(argv, '-pidfile')).toBe('/var/lib/provkit-qemu/nodes/web-1/qemu.pid');
    expect(option(argv, '-qmp')).toBe('unix:/var/lib/provkit-qemu/nodes/web-1/qmp.sock,server,nowait');
    expect(option(argv, '-accel')).toBe('tcg');
    expect(option(argv, '-m')).toBe('256M');
    expect(option(argv, '-smp')).toBe('2');
    expect(option(argv, '-kernel')).toBe('/boot/vmlinuz');
    expect(option(argv, '-initrd')).toBe('/boot/initrd.img');
    expect(option(argv, '-append')).toBe(machine.kernelCmdline);
    expect(option(argv, '-drive')).toBe('file=/var/lib/provkit-qemu/nodes/web-1/disk.qcow2,if=virtio,format=qcow2');
    expect(option(argv, '-netdev')).toBe('user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22');
  });

  it('rounds memory up to whole MiB', () => {
    expect(option(qemuArgv({ ...machine, memoryBytes: 128 * 2 ** 20 + 1 }), '-m')).toBe('129M');
  });

  it('writes a start script that hands QEMU exactly its argv, whatever the kernel command line holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qemu-start-'));
    try {
      // The real sh runs the script with the binary swapped for printf: what it prints is what QEMU would get.
      const script = join(dir, 'start.sh');
      writeFileSync(script, startScript({ ...machine, qemuBinary: 'printf' }).replace("exec printf ", "exec printf '%s\\n' "));
      const printed = execFileSync('sh', [script], { encoding: 'utf8' }).trimEnd().split('\n');
      expect(printed).toEqual(qemuArgv(machine).slice(1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates overlays on the library image, grown only when a disk size is given', () => {
    expect(createOverlayArgv('/lib/base-v1.qcow2', '/n/web-1/disk.qcow2')).toEqual(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', '/lib/base-v1.qcow2', '/n/web-1/disk.qcow2']);
    expect(createOverlayArgv('/lib/base-v1.qcow2', '/n/web-1/disk.qcow2', 2 ** 30).at(-1)).toBe(String(2 ** 30));
  });

  it('flattens a capture into a hidden temporary name in the library', () => {
    expect(partialImagePath('/lib', 'web-v2')).toBe('/lib/.web-v2.qcow2.partial');
    expect(convertArgv('/n/web-1/disk.qcow2', '/lib/.web-v2.qcow2.partial')).toEqual(['qemu-img', 'convert', '-q', '-O', 'qcow2', '/n/web-1/disk.qcow2', '/lib/.web-v2.qcow2.partial']);
  });

  it('lists only <name>-v<rev>.qcow2 files as images, never a partial capture', () => {
    expect(imageNameOfFile('labguest-v1.qcow2')).toBe('labguest-v1');
    expect(imageNameOfFile('debian12.base-v30.qcow2')).toBe('debian12.base-v30');
    for (const file of ['.web-v2.qcow2.partial', 'web.qcow2', 'web-v2.raw', 'web-v2.qcow2.bak', '']) expect(imageNameOfFile(file)).toBeUndefined();
  });

  it('parses real qemu-img info output', () => {
    const info = parseImageInfo(readFileSync(join(import.meta.dirname, 'fixtures', 'qemu-img-info-overlay.json'), 'utf8'));
    expect(info).toEqual({ virtualBytes: 67108864, allocatedBytes: 200704, format: 'qcow2', backingFile: '/var/lib/provkit-qemu/library/base-v1.qcow2' });
  });

  it('talks QMP through socat and reads a real power-down conversation', () => {
    expect(qmpArgv('/n/web-1/qmp.sock')).toEqual(['socat', '-t', '5', '-', 'UNIX-CONNECT:/n/web-1/qmp.sock']);
    expect(QMP_POWERDOWN.trim().split('\n').map((line) => JSON.parse(line))).toEqual([{ execute: 'qmp_capabilities' }, { execute: 'system_powerdown' }]);
    // Recorded from QEMU 7.2 on the lab guest: greeting, return, the POWERDOWN event, return.
    const recorded = readFileSync(join(import.meta.dirname, 'fixtures', 'qmp-powerdown.txt'), 'utf8');
    expect(qmpSucceeded(recorded)).toBe(true);
    const [greeting, first] = recorded.split('\n');
    expect(qmpSucceeded(`${greeting}\n${first}\n`)).toBe(false);
    expect(qmpSucceeded(`${greeting}\n${first}\n{"error": {"class": "GenericError", "desc": "no ACPI"}}\n`)).toBe(false);
    expect(qmpSucceeded(`${greeting}\n${first}\n{"ret`)).toBe(false);
  });

  it('refuses paths that QEMU or socat would split at "," or ":"', () => {
    expect(checkSafePath('libraryDir', '/var/lib/provkit-qemu/library')).toBe('/var/lib/provkit-qemu/library');
    for (const bad of ['relative/dir', '/a,b', '/a:b', '/a/../etc', '/a b', '/a\nb']) {
      expect(() => checkSafePath('libraryDir', bad)).toThrow(InvalidInputError);
    }
  });
});

describe('QemuProvisioner input checks', () => {
  const config = { libraryDir: '/nonexistent/library', nodesDir: '/nonexistent/nodes', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' };

  it('refuses a bad configuration naming the field', () => {
    const host = new LocalRunner();
    expect(() => new QemuProvisioner({ ...config, host, nodesDir: '/tmp/a,b' })).toThrow(expect.objectContaining({ field: 'nodesDir' }));
    expect(() => new QemuProvisioner({ ...config, host, forwardAddress: 'localhost' })).toThrow(expect.objectContaining({ field: 'forwardAddress' }));
    expect(() => new QemuProvisioner({ ...config, host, defaultSize: { cpus: 1, memoryBytes: 1000 } })).toThrow(expect.objectContaining({ field: 'defaultSize.memoryBytes' }));
  });

  it('refuses bad load, capture and power input before running any command', async () => {
    const host = new LocalRunner();
    const commands: string[] = [];
    host.events.on('command', (event) => commands.push(event.command));
    const provisioner = new QemuProvisioner({ ...config, host });
    const node = { name: 'web-1', address: { host: '127.0.0.1', port: 2222 } };
    const refused = async (promise: Promise<unknown>, field: string): Promise<void> => {
      await expect(promise).rejects.toSatisfy((error: unknown) => error instanceof InvalidInputError && error.field === field);
    };
    await refused(provisioner.load({ node: { ...node, name: 'web 1;reboot' }, image: 'base-v1' }), 'node.name');
    await refused(provisioner.load({ node: { name: 'web-1' }, image: 'base-v1' }), 'node.address');
    await refused(provisioner.load({ node: { ...node, address: { host: '127.0.0.1' } }, image: 'base-v1' }), 'node.address.port');
    await refused(provisioner.load({ node, image: 'base' }), 'image');
    await refused(provisioner.load({ node, image: 'base-v1', size: { cpus: 0, memoryBytes: 2 ** 28 } }), 'size.cpus');
    await refused(provisioner.load({ node, image: 'base-v1' }), 'osModule');
    await refused(provisioner.capture({ node, image: '../x-v1', skipPreCapture: true }), 'image');
    await refused(provisioner.capture({ node, image: 'x-v1', endState: 'sideways' as never, skipPreCapture: true }), 'endState');
    await refused(provisioner.powerOff({ node, timeoutMs: -1 }), 'timeoutMs');
    await refused(provisioner.doesImageExist({ image: 'x;rm -rf /-v1' }), 'image');
    // Never called: the input is refused before the OS module is used.
    const osModule = {} as OsModuleV1;
    await refused(provisioner.load({ node, image: 'base-v1', bootTimeoutMs: -1, osModule }), 'bootTimeoutMs');
    await refused(provisioner.capture({ node, image: 'x-v1', shutdownTimeoutMs: 0, skipPreCapture: true }), 'shutdownTimeoutMs');
    await refused(provisioner.listImages({ base: 'bad;base' }), 'base');
    expect(commands).toEqual([]);
    await provisioner.close();
  });

  it('answers an already-aborted signal with AbortedError before running any command', async () => {
    const host = new LocalRunner();
    const commands: string[] = [];
    host.events.on('command', (event) => commands.push(event.command));
    const provisioner = new QemuProvisioner({ ...config, host });
    const node = { name: 'web-1', address: { host: '127.0.0.1', port: 2222 } };
    const controller = new AbortController();
    controller.abort();
    const signal = controller.signal;
    const calls = [
      provisioner.capture({ node, image: 'x-v1', skipPreCapture: true, signal }),
      provisioner.unload({ node, signal }),
      provisioner.nodeStatus({ node, signal }),
      provisioner.powerOn({ node, signal }),
      provisioner.powerOff({ node, signal }),
      provisioner.powerReset({ node, signal }),
      provisioner.powerStatus({ node, signal }),
      provisioner.getCurrentImage({ node, signal }),
      provisioner.doesImageExist({ image: 'x-v1', signal }),
      provisioner.getImageSize({ image: 'x-v1', signal }),
      provisioner.listImages({ signal }),
      provisioner.deleteImage({ image: 'x-v1', signal }),
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(commands).toEqual([]);
    await provisioner.close();
  });
});
