import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmitter, ImageExistsError, InvalidEntryError, NodeNotManagedError, OperationFailedError, Secret, shellJoin, UnsupportedFunctionalityError, type CommandEvent } from '@provkit/core';
import { displayCommand, type Command, type CommandResult, type CommandRunner, type RunOptions } from '@provkit/runners';
import { describe, expect, it } from 'vitest';
import { EsxProvisioner } from '../esx-provisioner.ts';
import { parseDuKilobytes, parseGetAllVms, parseGuestInfo, parsePowerState, parseRegisteredVmid, parseVmdkDescriptor } from './vim-cmd-output.ts';
import { formatVmx, parseVmx, vmxDisks, vmxForCopy, vmxGet } from './vmx.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('vim-cmd output (transcripts authored from VMware\'s documentation)', () => {
  it('parses vmsvc/getallvms rows, skipping annotation continuation lines', () => {
    const vms = parseGetAllVms(fixture('getallvms.txt'));
    expect(vms.map((vm) => [vm.vmid, vm.name, vm.file])).toEqual([
      ['1', 'vcl-mgmt', '[datastore1] vcl-mgmt/vcl-mgmt.vmx'],
      ['12', 'web-1', '[datastore1] web-1/web-1.vmx'],
      ['13', 'lab 2 (old)', '[datastore2] lab 2 (old)/lab 2 (old).vmx'],
    ]);
  });

  it('parses power.getstate and get.guest (top-level Tools status and IP only)', () => {
    expect(parsePowerState(fixture('power-getstate-on.txt'))).toBe('on');
    expect(parsePowerState(fixture('power-getstate-off.txt'))).toBe('off');
    expect(parsePowerState('Retrieved runtime info\n')).toBe('unknown');
    expect(parseGuestInfo(fixture('get-guest-running.txt'))).toEqual({ toolsRunning: true, ipAddress: '192.0.2.15' });
    expect(parseGuestInfo(fixture('get-guest-not-running.txt'))).toEqual({ toolsRunning: false });
  });

  it('parses registervm, a VMDK descriptor and du -sk', () => {
    expect(parseRegisteredVmid(fixture('registervm.txt'))).toBe('14');
    expect(() => parseRegisteredVmid('(vim.fault.AlreadyExists) {')).toThrow(SyntaxError);
    expect(parseVmdkDescriptor(fixture('base-v1.vmdk'))).toEqual({ virtualBytes: 8 * 1024 ** 3, extents: ['base-v1-flat.vmdk'] });
    expect(parseDuKilobytes(fixture('du-sk.txt'))).toBe(1258496 * 1024);
  });
});

describe('vmx', () => {
  it('makes a copy with its own name and disks, without the source identity', () => {
    const source = parseVmx(fixture('base-v1.vmx'));
    expect(vmxDisks(source)).toEqual([{ key: 'scsi0:0.fileName', file: 'base-v1.vmdk' }]);
    const copy = vmxForCopy(source, 'web-2', ['web-2.vmdk'], { 'provkit.image': 'base-v1' });
    expect(vmxGet(copy, 'displayName')).toBe('web-2');
    expect(vmxGet(copy, 'scsi0:0.fileName')).toBe('web-2.vmdk');
    expect(vmxGet(copy, 'provkit.image')).toBe('base-v1');
    for (const key of ['uuid.bios', 'uuid.location', 'ethernet0.generatedAddress', 'sched.swap.derivedName']) expect(vmxGet(copy, key)).toBeUndefined();
    expect(vmxGet(copy, 'ethernet0.networkName')).toBe('VM Network');
    expect(parseVmx(formatVmx(copy))).toEqual(copy);
  });

  it('refuses disks outside the VM directory (absolute or with a directory part) with InvalidEntryError', () => {
    for (const file of ['/vmfs/volumes/datastore1/other/other.vmdk', '../other/other.vmdk', 'sub/disk.vmdk', '..\\other.vmdk']) {
      const vmx = parseVmx(`scsi0:0.fileName = "${file}"\n`);
      expect(() => vmxDisks(vmx, '/vmfs/volumes/datastore1/web-1/web-1.vmx')).toThrow(InvalidEntryError);
    }
    expect(vmxDisks(parseVmx('scsi0:1.fileName = "web-1_1.vmdk"\n'))).toEqual([{ key: 'scsi0:1.fileName', file: 'web-1_1.vmdk' }]);
  });

  it('refuses to write a value that would break out of its quotes', () => {
    expect(() => formatVmx([['displayName', 'x"\nfoo = "bar']])).toThrow(RangeError);
  });
});

/** One step of a transcript authored from VMware's documentation: the command as rendered, and what the host answered. */
interface TranscriptStep {
  command: RegExp;
  /** The answer, or a function of the files written so far (a file the host reads back). */
  stdout?: string | ((written: ReadonlyMap<string, string>) => string);
  exitCode?: number;
}

/**
 * A CommandRunner that replays an authored transcript, failing on any command out of order.
 * Like every runner it emits a `command` event per command on its own emitter, secrets redacted.
 */
function transcriptRunner(steps: TranscriptStep[]): CommandRunner & { written: Map<string, string>; remaining: () => number } {
  const queue = [...steps];
  const written = new Map<string, string>();
  const events = createEmitter();
  const target = 'root@esxi.example.org:22 (transcript authored from VMware\'s documentation)';
  return {
    target,
    events,
    written,
    remaining: () => queue.length,
    async run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
      const text = Array.isArray(command) ? shellJoin(command as readonly string[]) : String(command);
      const step = queue.shift();
      if (!step || !step.command.test(text)) throw new Error(`transcript expected ${step?.command ?? 'nothing'}, got: ${text}`);
      const exitCode = step.exitCode ?? 0;
      events.emit('command', { target, command: displayCommand(text, options.secrets), exitCode, durationMs: 1 });
      if (exitCode !== 0 && options.check !== false) throw new Error(`command failed in transcript: ${text}`);
      const stdout = typeof step.stdout === 'function' ? step.stdout(written) : (step.stdout ?? '');
      return { command: text, exitCode, stdout, stderr: '', stdoutBytes: Buffer.from(stdout), durationMs: 1 };
    },
    async writeFile(path: string, data: unknown): Promise<void> {
      written.set(path, String(data));
    },
    async uploadFile(): Promise<void> {
      throw new Error('not in the transcript');
    },
    async downloadFile(): Promise<void> {
      throw new Error('not in the transcript');
    },
  };
}

const MARK = '@@provkit@@';
const images = '/vmfs/volumes/datastore1/provkit-images';
const getallvmsWithNode = `${fixture('getallvms.txt')}14     web-2              [datastore1] web-2/web-2.vmx                 debian11_64Guest        vmx-19\n`;

describe('EsxProvisioner over vim-cmd (transcript authored from VMware\'s documentation)', () => {
  it('loads a full copy: vmkfstools copy, vmx for the node, register, resize, power on, Tools and IP (transcript authored from VMware\'s documentation)', async () => {
    const runner = transcriptRunner([
      // imageInfo
      { command: /test -f .*base-v1\/base-v1\.vmx.*cat .*base-v1\.vmdk.*du -sk/, stdout: `${fixture('base-v1.vmdk')}${MARK}\n${fixture('du-sk.txt')}` },
      // nodeFacts: not registered
      { command: /^'?vim-cmd'? '?vmsvc\/getallvms'?$/, stdout: fixture('getallvms.txt') },
      // createNode
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      { command: /cat .*provkit-images\/base-v1\/base-v1\.vmx/, stdout: fixture('base-v1.vmx') },
      { command: /^'?mkdir'? '?\/vmfs\/volumes\/datastore1\/web-2'?$/ },
      { command: /vmkfstools'? '?-i'? '?\/vmfs\/volumes\/datastore1\/provkit-images\/base-v1\/base-v1\.vmdk'? '?\/vmfs\/volumes\/datastore1\/web-2\/web-2\.vmdk'? '?-d'? '?thin/ },
      { command: /solo\/registervm'? '?\/vmfs\/volumes\/datastore1\/web-2\/web-2\.vmx'? '?web-2/, stdout: fixture('registervm.txt') },
      // resizeNode
      { command: /vmsvc\/getallvms/, stdout: getallvmsWithNode },
      { command: /cat'? '?\/vmfs\/volumes\/datastore1\/web-2\/web-2\.vmx/, stdout: (written) => written.get('/vmfs/volumes/datastore1/web-2/web-2.vmx')! },
      { command: /vmsvc\/reload'? '?14/ },
      // powerOn
      { command: /vmsvc\/getallvms/, stdout: getallvmsWithNode },
      { command: /vmsvc\/power\.on'? '?14/ },
      // waitForGuest: not yet, then running with an IP
      { command: /vmsvc\/getallvms/, stdout: getallvmsWithNode },
      { command: /vmsvc\/get\.guest'? '?14/, stdout: fixture('get-guest-not-running.txt') },
      { command: /vmsvc\/get\.guest'? '?14/, stdout: fixture('get-guest-running.txt') },
    ]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    const loaded = await provisioner.load({ node: { name: 'web-2' }, image: 'base-v1', size: { cpus: 2, memoryBytes: 2048 * 1024 * 1024 } });
    expect(loaded).toMatchObject({ node: 'web-2', image: 'base-v1', address: { host: '192.0.2.15', port: 22 } });
    expect(runner.remaining()).toBe(0);
    const nodeVmx = parseVmx(runner.written.get('/vmfs/volumes/datastore1/web-2/web-2.vmx')!);
    expect(vmxGet(nodeVmx, 'displayName')).toBe('web-2');
    expect(vmxGet(nodeVmx, 'scsi0:0.fileName')).toBe('web-2.vmdk');
    expect(vmxGet(nodeVmx, 'provkit.image')).toBe('base-v1');
    expect(vmxGet(nodeVmx, 'uuid.bios')).toBeUndefined();
    expect(vmxGet(nodeVmx, 'numvcpus')).toBe('2');
    expect(vmxGet(nodeVmx, 'memSize')).toBe('2048');
    expect(provisioner.capabilities.linkedClones).toBe(false);
  });

  it('refuses an image whose .vmx points a disk outside its directory, before creating anything (transcript authored from VMware\'s documentation)', async () => {
    const runner = transcriptRunner([
      { command: /test -f .*base-v1\/base-v1\.vmx.*cat .*base-v1\.vmdk.*du -sk/, stdout: `${fixture('base-v1.vmdk')}${MARK}\n${fixture('du-sk.txt')}` },
      { command: /^'?vim-cmd'? '?vmsvc\/getallvms'?$/, stdout: fixture('getallvms.txt') },
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      { command: /cat .*provkit-images\/base-v1\/base-v1\.vmx/, stdout: fixture('base-v1.vmx').replace('"base-v1.vmdk"', '"../web-1/web-1.vmdk"') },
    ]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    const failure = await provisioner.load({ node: { name: 'web-2' }, image: 'base-v1', diskMode: 'full' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect((failure as OperationFailedError).cause).toBeInstanceOf(InvalidEntryError);
    // No mkdir, no copy: the transcript ended at the .vmx read.
    expect(runner.remaining()).toBe(0);
    expect(runner.written.size).toBe(0);
  });

  it("never replaces or destroys a VM without provkit's marker in its .vmx: load and unload refuse with NodeNotManagedError after only reading (transcript authored from VMware's documentation)", async () => {
    const theirs = fixture('base-v1.vmx').replace(/base-v1/g, 'vcl-mgmt');
    const facts = { command: /power\.getstate'? '?1'?;.*get\.guest'? '?1'?;.*cat .*vcl-mgmt\/vcl-mgmt\.vmx/, stdout: `${fixture('power-getstate-on.txt')}${MARK}\n${fixture('get-guest-running.txt')}${MARK}\n${theirs}` };
    const runner = transcriptRunner([
      // load: imageInfo, then the existing VM's facts; nothing after them
      { command: /test -f .*base-v1\/base-v1\.vmx.*cat .*base-v1\.vmdk.*du -sk/, stdout: `${fixture('base-v1.vmdk')}${MARK}\n${fixture('du-sk.txt')}` },
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      facts,
      // unload: the facts only
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      facts,
    ]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    await expect(provisioner.load({ node: { name: 'vcl-mgmt' }, image: 'base-v1', diskMode: 'full' })).rejects.toBeInstanceOf(NodeNotManagedError);
    await expect(provisioner.unload({ node: { name: 'vcl-mgmt' } })).rejects.toBeInstanceOf(NodeNotManagedError);
    expect(runner.remaining()).toBe(0);
    expect(runner.written.size).toBe(0);
  });

  it('refuses a linked clone before running any command (authored transcript: empty)', async () => {
    const runner = transcriptRunner([]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    await expect(provisioner.load({ node: { name: 'web-2' }, image: 'base-v1', diskMode: 'linked' })).rejects.toBeInstanceOf(UnsupportedFunctionalityError);
  });

  it('refuses to capture onto an existing image name, and unloads a missing node as a no-op (transcript authored from VMware\'s documentation)', async () => {
    const runner = transcriptRunner([
      { command: /test -f .*base-v1\/base-v1\.vmx/, stdout: `${fixture('base-v1.vmdk')}${MARK}\n${fixture('du-sk.txt')}` },
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
    ]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    await expect(provisioner.capture({ node: { name: 'web-1' }, image: 'base-v1', skipPreCapture: true })).rejects.toBeInstanceOf(ImageExistsError);
    await provisioner.unload({ node: { name: 'ghost' } });
    expect(runner.remaining()).toBe(0);
  });

  it("emits the back end's commands as the provisioner's command events (through CommandEventForwarder, as KVM's), with no secret in them, until close (transcript authored from VMware's documentation)", async () => {
    // The back end puts no secret on a command line; the password its SSH login used must not reach an event either.
    const password = Secret.of('esxi-root-password');
    const runner = transcriptRunner([{ command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') }]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    const emitted: CommandEvent[] = [];
    const seen: CommandEvent[] = [];
    runner.events.on('command', (event) => emitted.push(event));
    provisioner.events.on('command', (event) => seen.push(event));
    await provisioner.unload({ node: { name: 'ghost' } });
    expect(runner.remaining()).toBe(0);
    expect(seen).toEqual([{ target: runner.target, command: expect.stringMatching(/^'?vim-cmd'? '?vmsvc\/getallvms'?$/), exitCode: 0, durationMs: 1 }]);
    // Forwarded as the runner redacted it, not rendered again.
    expect(seen[0]).toBe(emitted[0]);
    expect(JSON.stringify(seen)).not.toContain(password.reveal());
    await provisioner.close();
    runner.events.emit('command', { target: runner.target, command: 'true', exitCode: 0, durationMs: 1 });
    expect(seen).toHaveLength(1);
  });

  it('captures a node: copy to a hidden directory, vmx, then test-and-rename (transcript authored from VMware\'s documentation)', async () => {
    const runner = transcriptRunner([
      // capture: imageInfo(new name) → absent; nodeFacts; waitForPowerOff; captureNode; imageInfo
      { command: /test -f .*base-v2\/base-v2\.vmx/, exitCode: 3 },
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      { command: /power\.getstate.*12.*get\.guest.*12.*cat .*web-1\/web-1\.vmx/, stdout: `${fixture('power-getstate-off.txt')}${MARK}\n${fixture('get-guest-not-running.txt')}${MARK}\n${fixture('base-v1.vmx').replace(/base-v1/g, 'web-1')}` },
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      { command: /power\.getstate'? '?12/, stdout: fixture('power-getstate-off.txt') },
      { command: /vmsvc\/getallvms/, stdout: fixture('getallvms.txt') },
      { command: /cat'? '?\/vmfs\/volumes\/datastore1\/web-1\/web-1\.vmx/, stdout: fixture('base-v1.vmx').replace(/base-v1/g, 'web-1') },
      { command: /test'? '?-e'? '?\/vmfs\/volumes\/datastore1\/provkit-images\/base-v2'?$/, exitCode: 1 },
      { command: /mkdir'? '?-p'? '?\/vmfs\/volumes\/datastore1\/provkit-images\/\.base-v2\.capture-[0-9a-f]{8}/ },
      { command: /vmkfstools'? '?-i'? '?\/vmfs\/volumes\/datastore1\/web-1\/web-1\.vmdk'? '?\/vmfs\/volumes\/datastore1\/provkit-images\/\.base-v2\.capture-[0-9a-f]{8}\/base-v2\.vmdk/ },
      { command: /test ! -e .*provkit-images\/base-v2'? && mv .*\.base-v2\.capture-[0-9a-f]{8}'? .*provkit-images\/base-v2/ },
      { command: /test -f .*base-v2\/base-v2\.vmx/, stdout: `${fixture('base-v1.vmdk')}${MARK}\n${fixture('du-sk.txt')}` },
    ]);
    const provisioner = new EsxProvisioner({ ssh: { runner, datastore: 'datastore1' } });
    const captured = await provisioner.capture({ node: { name: 'web-1' }, image: 'base-v2', skipPreCapture: true });
    expect(captured).toMatchObject({ image: 'base-v2', sizeBytes: 1258496 * 1024, virtualBytes: 8 * 1024 ** 3 });
    expect(runner.remaining()).toBe(0);
    const [path, vmx] = [...runner.written.entries()][0]!;
    expect(path).toMatch(new RegExp(`^${images}/\\.base-v2\\.capture-[0-9a-f]{8}/base-v2\\.vmx$`));
    expect(vmxGet(parseVmx(vmx), 'displayName')).toBe('base-v2');
    expect(vmxGet(parseVmx(vmx), 'provkit.image')).toBeUndefined();
  });
});
